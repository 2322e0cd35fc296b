"""The admin's other lists (moderation, API tokens, the trash, the writers' posts, the
audit log) in a real browser: no accessibility violation in either colour scheme, at a
phone's width and a desktop's, nothing scrolling sideways on a phone; and the audit
log's flow, from a role change to its entry found by a filter."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from inkstand.accounts import tokens
from inkstand.accounts.models import Role
from inkstand.blog.services import posts
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.browser.helpers import check_page, log_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser

LISTS = ["/moderation", "/settings/tokens", "/manage/trash", "/manage", "/admin/audit",
         "/admin/audit?action=nothing"]  # fmt: skip
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def _site(live_app: Flask) -> str:
    """An admin with something in each list: a held comment, tokens, a post in the
    trash, posts, and entries in the audit log."""
    with live_app.app_context():
        factory = Factory(live_app)
        admin = factory.user(Role.ADMIN, "boss")
        writer = factory.user(Role.AUTHOR, "writer", email="a.rather.long.address@example.org")
        reader = factory.user(Role.READER, "reader")
        post = factory.post(writer, "A post with a rather long title that has to wrap somewhere")
        factory.comment(reader, post, "A comment that waits for approval.", policy="hold_all")
        gone = factory.post(admin, "A post in the trash")
        posts.delete_post(db.session, admin, gone.id, utcnow())
        tokens.create(db.session, admin, "A deploy script on the build server", "read-write",
                      utcnow())  # fmt: skip
        db.session.remove()
        return admin.username


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_lists_fit_and_pass_axe(
    browser: Browser, live_server: str, live_app: Flask, scheme: str, viewport: dict[str, int]
) -> None:
    admin = _site(live_app)
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True,
                                  viewport=viewport)  # fmt: skip
    page = context.new_page()
    log_in(page, admin)
    found, wide = {}, {}
    for path in LISTS:
        page.goto(path)
        violations = Axe().run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"]:
            wide[path] = width
    context.close()
    assert found == {}
    assert wide == {}


def test_the_lists_have_labels_and_one_heading(browser: Browser, live_server: str,
                                               live_app: Flask) -> None:  # fmt: skip
    admin = _site(live_app)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    log_in(page, admin)
    for path in LISTS:
        check_page(page, path)
    context.close()


def test_a_role_change_is_found_in_the_audit_log(browser: Browser, live_server: str,
                                                 live_app: Flask) -> None:  # fmt: skip
    admin = _site(live_app)
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    log_in(page, admin)
    page.goto("/admin/users?q=writer")
    page.get_by_label("Role of writer").select_option("editor")
    page.get_by_role("button", name="Change").click()
    expect(page.locator(".flashes")).to_contain_text("writer is now editor")
    page.goto("/admin/")
    page.get_by_role("link", name="Audit log").first.click()
    page.get_by_label("Action").select_option(label="Role changed")
    page.get_by_label("To the account (username)").fill("writer")
    page.get_by_role("button", name="Show").click()
    entries = page.locator(".record")
    expect(entries).to_have_count(1)
    expect(entries).to_contain_text("author → editor")
    expect(entries).to_contain_text("boss")
    context.close()
