"""Pages and the menu in a real browser: an editor writes a page with the live preview,
an admin puts it in the menu on a phone, and a visitor finds it in the header."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from inkstand.accounts.models import Role
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _admin(live_app: Flask) -> str:
    with live_app.app_context():
        return Factory(live_app).user(Role.ADMIN, "boss").username


def test_a_page_written_and_put_in_the_menu_shows_in_the_header_on_a_phone(
    browser: Browser, live_server: str, live_app: Flask, problems: list[str]
):
    admin = _admin(live_app)
    context = browser.new_context(base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(page, admin)
    page.goto("/pages/new")
    page.get_by_label("Title").fill("About us")
    page.get_by_label("Body (Markdown)").fill("We write **bold** things.")
    page.get_by_role("button", name="Show preview").click()
    expect(page.locator("#preview-body strong")).to_have_text("bold")  # the live preview
    page.get_by_label("State").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="About us", level=1)).to_be_visible()
    assert page.url.endswith("/about-us")

    page.goto("/admin/menu")
    page.get_by_label("Label", exact=True).fill("Code")
    page.get_by_label("Address").fill("https://example.com/code")
    page.get_by_role("button", name="Add the link").click()
    expect(page.locator(".menu-list")).to_contain_text("Code")  # the next page is loaded
    page.get_by_label("Page", exact=True).select_option(label="About us")
    page.get_by_role("button", name="Add the page").click()
    page.get_by_role("button", name="Up: About us").click()  # no script needed: a form
    mine = page.get_by_role("navigation", name="Pages").get_by_role("link")
    expect(mine).to_have_text(["About us", "Code"])  # moved up, and the page loaded again
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    visitor = browser.new_context(base_url=live_server, viewport=PHONE).new_page()
    visitor.goto("/")
    header = visitor.get_by_role("navigation", name="Pages")
    expect(header.get_by_role("link")).to_have_text(["About us", "Code"])
    expect(header.get_by_role("link", name="About us")).to_be_in_viewport()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    header.get_by_role("link", name="About us").click()
    expect(visitor.get_by_role("heading", name="About us", level=1)).to_be_visible()
    expect(header.get_by_role("link", name="About us")).to_have_attribute("aria-current", "page")
    visitor.context.close()
    context.close()
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(browser: Browser, live_server: str, live_app: Flask, scheme: str):
    admin = _admin(live_app)
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, admin)
    page.goto("/pages/new")
    page.get_by_label("Title").fill("Colophon")
    page.get_by_label("Body (Markdown)").fill("Set in type.")
    page.get_by_label("State").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Colophon", level=1)).to_be_visible()
    axe = Axe()
    found = {}
    for path in ["/colophon", "/pages", "/pages/new", "/admin/menu", "/admin/appearance"]:
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
    for path in ["/pages", "/pages/new", "/admin/menu", "/admin/appearance"]:
        check_page(page, path)
