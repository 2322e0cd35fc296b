"""The admin's user list, invitations, suspension and deletion, and a person's own
data and deletion pages, in a real browser: no accessibility violation (light and
dark), and the list fits a phone without sideways scrolling."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from inkstand.accounts.models import Role, User
from inkstand.extensions import db
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser


def _people(live_app: Flask) -> tuple[str, int]:
    with live_app.app_context():
        factory = Factory(live_app)
        admin = factory.user(Role.ADMIN, "boss")
        writer = factory.user(Role.AUTHOR, "writer", email="a.rather.long.address@example.org")
        factory.post(writer, "A post of hers")
        return admin.username, writer.id


PAGES = ["/admin/users", "/admin/users/invite", "/settings", "/settings/delete", "/settings/data"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(browser: Browser, live_server: str, live_app: Flask, scheme: str):
    admin, writer_id = _people(live_app)
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, admin)
    axe = Axe()
    found = {}
    for path in [*PAGES, f"/admin/users/{writer_id}/delete"]:
        page.goto(path)
        violations = axe.run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
    context.close()
    assert found == {}


def test_the_pages_have_labels_and_one_heading(open_page: OpenPage, live_app: Flask):
    admin, writer_id = _people(live_app)
    page = open_page()
    log_in(page, admin)
    for path in [*PAGES, f"/admin/users/{writer_id}/delete"]:
        check_page(page, path)


def test_an_admin_suspends_and_unsuspends_on_a_phone(browser: Browser, live_server: str,
                                                    live_app: Flask):  # fmt: skip
    admin, writer_id = _people(live_app)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, admin)
    page.goto("/admin/users")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the user list scrolls sideways on a phone"
    page.get_by_role("button", name="Suspend writer").click()
    expect(page.get_by_text("Suspended", exact=True)).to_be_visible()
    with live_app.app_context():
        assert db.session.get(User, writer_id).suspended_at is not None
        db.session.remove()
    page.get_by_role("button", name="Unsuspend writer").click()
    expect(page.get_by_role("button", name="Suspend writer")).to_be_visible()
    context.close()
