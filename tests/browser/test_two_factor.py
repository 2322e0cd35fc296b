"""Two-factor log-in in a real browser: set it up reading the key from the page, log
out, log in again with a code computed as an authenticator app would (pyotp)."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import expect

from inkstand.accounts.models import User
from tests.browser.helpers import OpenPage, log_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_enrol_log_out_and_log_in_with_a_code(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page()
    log_in(page, author.username)
    page.goto("/settings")
    page.get_by_role("link", name="Two-factor log-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor log-in")
    expect(page.locator(".qr svg")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor log-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor log-in is on")
    expect(page.locator(".recovery-codes li")).to_have_count(10)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill(author.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your code")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)  # not logged in yet
    # The code of the next time step: the one used to set up is refused as a replay.
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_label("Code").press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert problems == []
