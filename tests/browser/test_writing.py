"""The writer's pages in a real browser: the editor's heading and code shortcuts, its
distraction-free mode, deleting to the trash and restoring with JavaScript off, and axe
on the trash, the delete question, a comparison and the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Dialog, Page, expect

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.blog.services import posts
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.browser.helpers import OpenPage, log_in
from tests.helpers import Factory, change

pytestmark = pytest.mark.browser


def _post(live_app: Flask, author: User, body: str = "Start.", **fields) -> Post:
    with live_app.app_context():
        return Factory(live_app).post(db.session.get(User, author.id), "Written", body=body,
                                      **fields)  # fmt: skip


def _stored(live_app: Flask, post: Post) -> Post:
    with live_app.app_context():
        found = db.session.get(Post, post.id)
        assert found is not None
        return found


def _body(page: Page):
    return page.get_by_label("Body (Markdown)")


def test_heading_and_code_shortcuts(
    open_page: OpenPage, live_app: Flask, author: User, problems: list[str]
) -> None:
    post = _post(live_app, author)
    page = open_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    body = _body(page)
    preview = page.locator("#preview-body")

    body.fill("A title line")
    body.press("Control+Alt+Digit2")
    expect(body).to_have_value("## A title line")
    body.press("Control+Alt+Digit3")  # another level replaces the first
    expect(body).to_have_value("### A title line")
    expect(preview.get_by_role("heading", name="A title line")).to_be_visible()

    body.fill("run")
    body.select_text()
    body.press("Control+e")
    expect(body).to_have_value("`run`")
    expect(preview.locator("code")).to_have_text("run")

    body.fill("print(1)")
    body.press("Control+Shift+E")
    expect(body).to_have_value("```\nprint(1)\n```")
    expect(preview.locator("pre code")).to_have_text("print(1)")
    body.press("Control+s")
    expect(page.get_by_role("status")).to_contain_text("Post saved.")
    assert _stored(live_app, post).body_source.replace("\r\n", "\n") == "```\nprint(1)\n```"
    assert problems == []


def test_distraction_free_mode_is_a_button_a_shortcut_and_remembered(
    open_page: OpenPage, live_app: Flask, author: User, problems: list[str]
) -> None:
    post = _post(live_app, author)
    page = open_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    toggle = page.get_by_role("button", name="Distraction-free mode")
    header = page.locator(".site-header")
    expect(header).to_be_visible()

    toggle.click()
    expect(header).to_be_hidden()
    expect(page.get_by_label("Tags", exact=True)).to_be_hidden()
    expect(page.get_by_label("Title", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()
    leave = page.get_by_role("button", name="Leave distraction-free mode")
    expect(leave).to_have_attribute("aria-pressed", "true")
    width = _body(page).bounding_box()
    assert width is not None
    assert width["width"] > 560  # wider than in the site's column (half of 76rem)

    page.reload()  # remembered by this browser
    expect(header).to_be_hidden()
    _body(page).press("Escape")  # Esc leaves
    expect(header).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    _body(page).press("Control+Shift+F")  # and the shortcut switches it
    expect(header).to_be_hidden()
    _body(page).press("Control+Shift+F")
    expect(header).to_be_visible()
    page.reload()
    expect(header).to_be_visible()
    assert problems == []


def test_without_javascript_the_mode_button_is_not_offered(
    open_page: OpenPage, live_app: Flask, author: User
) -> None:
    post = _post(live_app, author)
    page = open_page(java_script_enabled=False)
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    expect(page.get_by_role("button", name="Distraction-free mode")).to_be_hidden()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_visible()


def _restore_from_the_trash(page: Page, live_app: Flask, post: Post) -> None:
    expect(page.get_by_role("status")).to_contain_text("moved to the trash")
    assert page.goto(f"/posts/{post.slug}").status == 404
    page.goto("/manage")
    page.get_by_role("link", name="Trash").click()
    expect(page.locator(".trash")).to_contain_text("Written")
    page.get_by_role("button", name="Restore Written").click()
    expect(page.locator(".flashes")).to_contain_text("restored from the trash")
    assert page.goto(f"/posts/{post.slug}").status == 200


def test_without_javascript_delete_asks_on_a_page_then_the_trash_restores(
    open_page: OpenPage, live_app: Flask, author: User
) -> None:
    post = _post(live_app, author)
    page = open_page(java_script_enabled=False)
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    page.get_by_role("link", name="Delete this post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete “Written”?")
    page.get_by_role("link", name="Keep it").click()  # changing her mind changes nothing
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")
    assert _stored(live_app, post).deleted_at is None

    page.get_by_role("link", name="Delete this post").click()
    page.get_by_role("button", name="Move to the trash").click()
    _restore_from_the_trash(page, live_app, post)


def test_with_javascript_delete_asks_in_a_dialog(
    open_page: OpenPage, live_app: Flask, author: User, problems: list[str]
) -> None:
    post = _post(live_app, author)
    page = open_page()
    log_in(page, author.username)
    page.goto(f"/posts/{post.id}/edit")
    asked: list[str] = []

    def answer(accept: bool):
        def respond(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return respond

    page.once("dialog", answer(False))
    page.get_by_role("link", name="Delete this post").click()
    page.wait_for_timeout(300)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit")  # stayed
    assert _stored(live_app, post).deleted_at is None

    page.once("dialog", answer(True))
    page.get_by_role("link", name="Delete this post").click()
    assert asked == ["Move “Written” to the trash? It leaves the site at once and can be "
                     "restored from the trash."] * 2  # fmt: skip
    _restore_from_the_trash(page, live_app, post)
    assert [p for p in problems if "status of 404" not in p] == []  # the binned post's 404


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_writers_pages_pass_axe(
    browser: Browser, live_server: str, live_app: Flask, author: User, scheme: str
) -> None:
    later = utcnow() + timedelta(days=2)
    kept = _post(live_app, author, body="One\n\ntwo", tags="a", publish_at=later)
    binned = _post(live_app, author, body="Binned")
    with live_app.app_context():
        writer = db.session.get(User, author.id)
        assert writer is not None
        change(db.session.get(Post, kept.id), writer, body="One\n\nthree", excerpt="Short")
        posts.delete_post(db.session, writer, binned.id, utcnow())
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, author.username)
    found = {}
    for path in ["/manage", "/manage/trash", f"/posts/{kept.id}/delete",
                 f"/posts/{kept.id}/revisions/compare?from=1&to=2", f"/posts/{kept.slug}",
                 f"/posts/{kept.id}/edit", "/settings"]:  # fmt: skip
        page.goto(path)
        violations = Axe().run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
    context.close()
    assert found == {}
