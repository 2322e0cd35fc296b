"""Subscribing by e-mail in a real browser: the footer form, the mailed confirmation
link, a new post's mail and its unsubscribe link; the new pages have no accessibility
violation (light and dark) and the admin's list fits a phone."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from inkstand.accounts.models import Role
from inkstand.extensions import db
from inkstand.subscriptions import jobs
from inkstand.subscriptions.models import Subscriber
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import Factory, Outbox

pytestmark = pytest.mark.browser


def _link(outbox: Outbox, kind: str) -> str:
    found = re.search(rf"https?://[^/\s]+(/{kind}/\S+)", outbox.messages()[-1].get_content())
    assert found, outbox.messages()[-1].get_content()
    return found[1]


def _subscribers(live_app: Flask) -> list[tuple[str, bool]]:
    with live_app.app_context():
        rows = db.session.scalars(select(Subscriber)).all()
        found = [(s.email, s.confirmed) for s in rows]
        db.session.remove()
        return found


def test_subscribe_confirm_then_unsubscribe(
    open_page: OpenPage, live_app: Flask, live_server: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(live_app.config, "SITE_URL", live_server)  # the job's links
    outbox = Outbox(live_app)
    page = open_page()
    page.goto("/")
    page.get_by_label("New posts by e-mail").fill("reader@example.org")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_label("Your e-mail address")).to_have_value("reader@example.org")
    page.locator("main").get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    assert _subscribers(live_app) == [("reader@example.org", False)]

    page.goto(_link(outbox, "subscriptions/confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()
    assert _subscribers(live_app) == [("reader@example.org", True)]

    with live_app.app_context():
        factory = Factory(live_app)
        factory.post(factory.user(Role.AUTHOR, "wren"), "Fresh post")
        jobs.sweep_once(live_app)
    page.goto(_link(outbox, "unsubscribe"))
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert _subscribers(live_app) == []


def _admin(live_app: Flask) -> str:
    with live_app.app_context():
        factory = Factory(live_app)
        admin = factory.user(Role.ADMIN, "boss")
        factory.user(Role.AUTHOR, "wren")
        for n in range(3):
            db.session.add(Subscriber(email=f"a.rather.long.address{n}@example.org",
                                      scope="site", key=f"k{n}" * 8, consent="import"))  # fmt: skip
        db.session.commit()
        return admin.username


PAGES = ["/subscribe", "/subscribe/sent", "/authors/wren", "/admin/subscribers",
         "/admin/subscribers/import", "/settings/two-factor"]  # fmt: skip


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(browser: Browser, live_server: str, live_app: Flask, scheme: str):
    admin = _admin(live_app)
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, admin)
    axe = Axe()
    found = {}
    for path in PAGES[:-1]:
        page.goto(path)
        violations = axe.run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
    context.close()
    assert found == {}


def test_the_pages_have_labels_and_one_heading(open_page: OpenPage, live_app: Flask):
    admin = _admin(live_app)
    page = open_page()
    log_in(page, admin)
    for path in PAGES[:-1]:
        check_page(page, path)


def test_the_subscribers_page_fits_a_phone(browser: Browser, live_server: str, live_app: Flask):
    admin = _admin(live_app)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, admin)
    page.goto("/admin/subscribers")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Remove a.rather.long.address0@example.org").click()
    expect(page.get_by_text("is removed")).to_be_visible()
    assert len(_subscribers(live_app)) == 2
    context.close()
