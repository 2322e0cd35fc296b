"""Comments in a real browser, without JavaScript: comment, wait for approval,
get approved from the moderation queue, reply; and the pages' accessibility."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post
from inkstand.extensions import db
from inkstand.site import services as site
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def post(live_app: Flask, author: User) -> Post:
    with live_app.app_context():
        return Factory(live_app).post(db.session.get(User, author.id), "Talk to me")


@pytest.fixture
def reader(live_app: Flask) -> User:
    with live_app.app_context():
        return Factory(live_app).user(Role.READER, "rita")


def comment(page: Page, text: str, button: str = "Post comment") -> None:
    page.get_by_label("Your comment").fill(text)
    page.get_by_role("button", name=button).click()


def test_comment_moderate_and_reply_without_javascript(
    open_page: OpenPage, author: User, reader: User, post: Post, problems: list[str],
    tmp_path: Path,
) -> None:  # fmt: skip
    visitor = open_page(java_script_enabled=False)
    visitor.goto(f"/posts/{post.slug}")
    expect(visitor.get_by_text("to comment.")).to_be_visible()

    page = open_page(java_script_enabled=False)
    log_in(page, reader.username)
    page.goto(f"/posts/{post.slug}")
    expect(page.get_by_role("heading", name="0 comments")).to_be_visible()
    expect(page.get_by_label("Website (leave empty)")).not_to_be_in_viewport()
    comment(page, "A *first* thought.")
    expect(page.get_by_role("status")).to_contain_text("Your comment awaits approval.")
    held = page.locator("article.comment")
    expect(held).to_contain_text("Awaiting approval")
    expect(held.locator("em")).to_have_text("first")
    page.screenshot(path=tmp_path / "held.png", full_page=True)

    moderator = open_page(java_script_enabled=False)
    log_in(moderator, author.username)
    moderator.get_by_role("link", name="Moderation").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderation")
    moderator.screenshot(path=tmp_path / "queue.png", full_page=True)
    moderator.get_by_role("button", name="Approve").click()
    expect(moderator.get_by_role("status")).to_contain_text("1 comment approved.")
    expect(moderator.get_by_text("No comment awaits approval.")).to_be_visible()

    visitor.reload()
    expect(visitor.get_by_role("heading", name="1 comment")).to_be_visible()
    expect(visitor.locator("article.comment")).to_contain_text("A first thought.")

    moderator.goto(f"/posts/{post.slug}")
    moderator.get_by_role("link", name="Reply").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Reply to rita")
    comment(moderator, "Thanks, **rita**.", button="Post reply")
    expect(moderator.get_by_role("status")).to_contain_text("Your comment is posted.")
    reply = moderator.locator("ol.replies article.comment")
    expect(reply.locator("strong")).to_have_text("rita")
    moderator.screenshot(path=tmp_path / "thread.png", full_page=True)
    assert problems == []


def test_comment_pages_meet_the_accessibility_basics(
    open_page: OpenPage, live_app: Flask, author: User, reader: User, post: Post,
    problems: list[str],
) -> None:  # fmt: skip
    with live_app.app_context():
        factory = Factory(live_app)
        writer = db.session.get(User, author.id)
        top = factory.comment(writer, db.session.get(Post, post.id), "Top")
        factory.comment(db.session.get(User, reader.id), post, "Held", policy="hold_all")
    page = open_page()
    log_in(page, author.username)
    for path in (f"/posts/{post.slug}", f"/comments/{top.id}/reply", f"/comments/{top.id}/edit",
                 "/moderation"):  # fmt: skip
        check_page(page, path)
    assert problems == []


def test_a_comment_appears_live_on_every_open_page_of_the_post(
    live_app: Flask, open_page: OpenPage, author: User, reader: User, post: Post,
    problems: list[str], tmp_path: Path,
) -> None:  # fmt: skip
    """Two pages on one post: a comment posted in one (in the background, no
    reload) shows in the other within two seconds; so do its edit and removal."""
    with live_app.app_context():
        site.update(db.session, Factory(live_app).user(Role.ADMIN), comment_policy="open")

    watcher = open_page()
    watcher.goto(f"/posts/{post.slug}")
    expect(watcher.get_by_role("heading", name="0 comments")).to_be_visible()

    writer = open_page()
    log_in(writer, reader.username)
    writer.goto(f"/posts/{post.slug}")
    address = writer.url
    comment(writer, "Hello from *the other* tab.")
    expect(writer.locator(".form-feedback")).to_have_text("Your comment is posted.")
    expect(writer.locator("article.comment em")).to_have_text("the other")
    expect(writer.get_by_label("Your comment")).to_have_value("")
    assert writer.url == address  # no page load: posted in the background

    live = watcher.locator("article.comment")
    expect(live).to_contain_text("Hello from the other tab.", timeout=2000)
    expect(watcher.get_by_role("heading", name="1 comment")).to_be_visible(timeout=2000)
    watcher.screenshot(path=tmp_path / "live.png", full_page=True)

    writer.get_by_role("button", name="Delete").click()
    expect(writer.get_by_role("heading", name="0 comments")).to_be_visible()
    expect(live).to_have_count(0, timeout=2000)
    expect(watcher.get_by_role("heading", name="0 comments")).to_be_visible(timeout=2000)
    assert problems == []


def test_a_refused_comment_shows_its_error_without_a_reload(
    open_page: OpenPage, reader: User, post: Post, problems: list[str]
) -> None:
    page = open_page()
    log_in(page, reader.username)
    page.goto(f"/posts/{post.slug}")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("article.comment")).to_have_count(0)
    # Chromium logs every 4xx answer to a script's request; that one is expected.
    assert [p for p in problems if "status of 422" not in p] == []
