"""Browser test helpers: log in, check a page's accessibility basics."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.helpers import PASSWORD

# The form controls without an associated <label> (hidden inputs and buttons need none).
_UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
    .filter((el) => el.labels === null || el.labels.length === 0)
    .map((el) => el.outerHTML)"""


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def check_page(page: Page, path: str) -> None:
    """The accessibility basics of one page."""
    page.goto(path)
    assert page.locator("main").count() == 1, f"{path}: not exactly one <main>"
    assert page.locator("h1").count() == 1, f"{path}: not exactly one <h1>"
    unlabelled = page.evaluate(_UNLABELLED_CONTROLS)
    assert unlabelled == [], f"{path}: form controls without a label"

    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    expect(focused).to_be_visible()  # it shows itself when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


OpenPage = Callable[..., Page]
