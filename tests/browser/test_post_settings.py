"""The editor's post settings and the writers' list in a real browser: the settings
section opens and saves, a bulk action is reviewed then done, and axe finds nothing
on either page, light or dark."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.extensions import db
from tests.browser.helpers import check_page, log_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser


def _violations(page) -> list[tuple[str, list[str]]]:
    found = Axe().run(page).response["violations"]
    return [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in found]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_settings_and_the_list_are_accessible(
    browser: Browser, live_server: str, live_app: Flask, author: User, scheme: str
) -> None:
    with live_app.app_context():
        writer = db.session.get(User, author.id)
        post = Factory(live_app).post(writer, "Settings to see", featured=True)
        Factory(live_app).post(writer, "A draft to choose", status="draft")
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    page.locator("#post-settings > summary").click()
    expect(page.get_by_label("Canonical address")).to_be_visible()
    found = {"editor": _violations(page)}
    check_page(page, "/manage?sort=title")
    found["manage"] = _violations(page)
    page.get_by_label("Choose A draft to choose").check()
    page.get_by_label("With the chosen posts").select_option("publish")
    page.get_by_role("button", name="Review…").click()
    expect(page.get_by_role("heading", name="Publish 1 post?")).to_be_visible()
    found["confirm"] = _violations(page)
    context.close()
    assert found == {"editor": [], "manage": [], "confirm": []}


def test_a_writer_sets_the_settings_and_bulk_archives(
    browser: Browser, live_server: str, live_app: Flask, author: User
) -> None:
    with live_app.app_context():
        writer = db.session.get(User, author.id)
        post = Factory(live_app).post(writer, "To be settled")
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    expect(page.get_by_label("Canonical address")).to_be_hidden()  # closed at first
    page.locator("#post-settings > summary").click()
    page.get_by_label("Title for search engines").fill("Settled, for searching")
    page.get_by_label("Canonical address").fill("https://first.example/settled")
    page.get_by_label("Feature this post at the top of the home page").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="To be settled")).to_be_visible()
    assert page.title().startswith("Settled, for searching")
    page.goto("/manage?title=settled")
    page.get_by_label("Choose To be settled").check()
    page.get_by_label("With the chosen posts").select_option("archive")
    page.get_by_role("button", name="Review…").click()
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("Archive: done for 1 post(s).")).to_be_visible()
    assert "title=settled" in page.url
    context.close()
    with live_app.app_context():
        saved = db.session.scalar(select(Post).where(Post.id == post.id))
        assert (saved.status, saved.featured, saved.canonical_url) == (
            "archived", True, "https://first.example/settled",
        )  # fmt: skip
