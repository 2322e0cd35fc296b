"""The editor in a real browser: two tabs saving one post, the live preview, the word
count, keyboard shortcuts, the unsaved-changes prompt, and axe on the editor."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Dialog, Page, expect
from sqlalchemy import select

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post, WorkingRevision
from inkstand.extensions import db
from tests.browser.helpers import OpenPage, log_in
from tests.helpers import Factory, change

pytestmark = pytest.mark.browser


def _post(live_app: Flask, author: User, body: str = "line one\nline two") -> Post:
    with live_app.app_context():
        writer = db.session.get(User, author.id)
        return Factory(live_app).post(writer, "Shared", body=body)


def _stored(live_app: Flask, post: Post) -> Post:
    with live_app.app_context():
        found = db.session.get(Post, post.id)
        assert found is not None
        return found


def _text(post: Post) -> str:
    """The body as typed (a browser sends a textarea's lines ending in CRLF)."""
    return post.body_source.replace("\r\n", "\n")


def _editor(live_app: Flask) -> User:
    with live_app.app_context():
        return Factory(live_app).user(Role.EDITOR)


def _body(page: Page):
    return page.get_by_label("Body (Markdown)")


def test_two_tabs_the_later_save_is_refused_then_saved_over_on_purpose(
    open_page: OpenPage, live_app: Flask, author: User, problems: list[str]
) -> None:
    post = _post(live_app, author)
    editor = _editor(live_app)
    author_tab, editor_tab = open_page(), open_page()
    log_in(author_tab, author.username)
    log_in(editor_tab, editor.username)
    author_tab.goto(f"/posts/{post.id}/edit")
    editor_tab.goto(f"/posts/{post.id}/edit")

    _body(editor_tab).fill("line one\nline 2 by the editor")
    editor_tab.get_by_role("button", name="Save", exact=True).click()
    expect(editor_tab.get_by_role("status")).to_contain_text("Post saved.")

    _body(author_tab).fill("line one\nline two\nmore by the author")
    author_tab.get_by_role("button", name="Save", exact=True).click()
    conflict = author_tab.get_by_role("alert").filter(has_text="Someone else saved")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".diff-removed")).to_contain_text(["line 2 by the editor"])
    expect(conflict.locator(".diff-added").first).to_contain_text("line two")
    expect(_body(author_tab)).to_have_value("line one\nline two\nmore by the author")
    assert _text(_stored(live_app, post)) == "line one\nline 2 by the editor"

    _body(author_tab).fill("line one\nline 2 by the editor\nmore by the author")
    author_tab.get_by_role("button", name="Save my text over theirs").click()
    expect(author_tab.get_by_role("status")).to_contain_text("Post saved.")
    stored = _stored(live_app, post)
    assert (_text(stored), stored.version) == (
        "line one\nline 2 by the editor\nmore by the author",
        3,
    )
    # The refused save is a 409 page, which Chromium logs; nothing else went wrong.
    assert [p for p in problems if "status of 409" not in p] == []


def test_the_preview_follows_the_typing_with_count_and_shortcuts(
    open_page: OpenPage, live_app: Flask, author: User, problems: list[str]
) -> None:
    post = _post(live_app, author, body="Start.")
    page = open_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    preview = page.locator("#preview-body")
    expect(preview).to_contain_text("Start.")
    expect(page.get_by_role("button", name="Show preview")).to_be_hidden()

    body = _body(page)
    body.fill("Some words <script>alert(1)</script>\n\n## A heading")
    expect(preview.get_by_role("heading", name="A heading")).to_be_visible()
    expect(preview.locator("script")).to_have_count(0)
    expect(page.locator("#write-stats")).to_have_text("6 words · 1 min read")

    body.fill("emphasis")
    body.select_text()
    body.press("Control+b")
    expect(body).to_have_value("**emphasis**")
    expect(preview.locator("strong")).to_have_text("emphasis")
    body.press("End")
    body.press("Control+k")
    expect(body).to_have_value("**emphasis**[words](https://)")

    body.press("Control+s")  # saves, and does not ask before leaving
    expect(page.get_by_role("status")).to_contain_text("Post saved.")
    assert _text(_stored(live_app, post)) == "**emphasis**[words](https://)"
    assert problems == []


def test_on_a_narrow_screen_the_preview_is_a_toggle(
    open_page: OpenPage, live_app: Flask, author: User
) -> None:
    post = _post(live_app, author, body="Narrow *text*.")
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    toggle = page.get_by_role("button", name="Show preview")
    expect(page.locator("#preview")).to_be_hidden()
    toggle.click()
    expect(page.locator("#preview em")).to_have_text("text")
    expect(page.get_by_role("button", name="Hide preview")).to_have_attribute(
        "aria-expanded", "true"
    )


def test_leaving_with_unsaved_changes_asks_first(
    open_page: OpenPage, live_app: Flask, author: User
) -> None:
    post = _post(live_app, author)
    page = open_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    _body(page).press("Control+End")
    _body(page).type(" and more")
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(_body(page)).to_have_value("line one\nline two and more")


def test_the_preview_button_works_without_javascript(
    open_page: OpenPage, live_app: Flask, author: User
) -> None:
    post = _post(live_app, author)
    page = open_page(java_script_enabled=False)
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    expect(page.locator("#preview")).to_be_hidden()
    _body(page).fill("Shown *first*.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview em")).to_have_text("first")
    expect(_body(page)).to_have_value("Shown *first*.")
    assert _stored(live_app, post).body_source == "line one\nline two"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_editor_passes_axe(
    browser: Browser, live_server: str, live_app: Flask, author: User, scheme: str
) -> None:
    post = _post(live_app, author, body="Intro.\n\n## Section\n\n`code` and *more*.")
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    expect(page.locator("#preview-body h2")).to_be_visible()
    violations = Axe().run(page).response["violations"]
    context.close()
    assert [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations] == []


def _working(live_app: Flask) -> list[str]:
    with live_app.app_context():
        rows = db.session.scalars(select(WorkingRevision.body_source)).all()
        return [body.replace("\r\n", "\n") for body in rows]


def test_autosave_keeps_the_text_through_going_offline_and_a_reload(
    open_page: OpenPage, live_app: Flask, author: User, problems: list[str]
) -> None:
    post = _post(live_app, author, body="Saved.")
    page = open_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    status = page.locator("#autosave-status")

    _body(page).fill("Typed, then a pause.")
    expect(status).to_have_text(re.compile(r"^Saved \d"), timeout=10_000)
    assert _working(live_app) == ["Typed, then a pause."]
    assert _text(_stored(live_app, post)) == "Saved."  # no revision, the post unchanged

    page.context.set_offline(True)
    _body(page).fill("Written on a train.")
    expect(status).to_have_text("Not saved — offline, will retry", timeout=10_000)
    stored_copy = f"() => localStorage.getItem('inkstand:draft:{post.id}')"
    kept = page.evaluate(stored_copy)
    assert "Written on a train." in kept
    page.context.set_offline(False)
    expect(status).to_have_text(re.compile(r"^Saved \d"), timeout=15_000)
    assert _working(live_app) == ["Written on a train."]
    assert page.evaluate(stored_copy) is None

    page.reload()
    expect(_body(page)).to_have_value("Written on a train.")
    expect(page.get_by_role("note")).to_contain_text("autosaved")
    assert [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p] == []


def test_autosave_stops_when_someone_else_saves(
    open_page: OpenPage, live_app: Flask, author: User
) -> None:
    post = _post(live_app, author)
    page = open_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    editor = _editor(live_app)
    with live_app.app_context():
        change(db.session.get(Post, post.id), db.session.get(User, editor.id), body="Theirs.")
    _body(page).fill("Mine.")
    expect(page.locator("#autosave-status")).to_contain_text(
        "someone else saved this post", timeout=10_000
    )
    assert _working(live_app) == []
