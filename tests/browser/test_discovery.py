"""In a real browser: a post's JSON-LD is read as data under the site's CSP (no
violation, nothing run), related posts lead on, and the archive leads to a month."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.browser.helpers import OpenPage
from tests.helpers import Factory

pytestmark = pytest.mark.browser

HOSTILE = "</script><script>alert(1)</script>"


def test_json_ld_is_data_under_the_csp_and_related_posts_lead_on(
    live_app: Flask, open_page: OpenPage, problems: list[str]
) -> None:
    with live_app.app_context():
        factory = Factory(live_app)
        ada = factory.user("author", "ada")
        post = factory.post(ada, HOSTILE, tags="security, web", excerpt="Escaping, gently.")
        factory.post(ada, "Headers that help", tags="security")
        slug = post.slug
    page = open_page()
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))

    page.goto(f"/posts/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE)
    data = json.loads(page.locator('script[type="application/ld+json"]').text_content() or "")
    assert data["headline"] == HOSTILE
    assert page.locator("script").count() == 2  # the JSON-LD and comments.js, nothing else

    related = page.get_by_role("complementary", name="Related posts")
    related.get_by_role("link", name="Headers that help").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Headers that help")
    assert problems == []


def test_the_archive_leads_to_a_month(
    live_app: Flask, open_page: OpenPage, problems: list[str]
) -> None:
    with live_app.app_context():
        factory = Factory(live_app)
        ada = factory.user("author", "ada")
        factory.post(ada, "Autumn notes", publish_at=datetime(2026, 11, 2, tzinfo=UTC))
        factory.post(ada, "Earlier notes", publish_at=datetime(2026, 10, 2, tzinfo=UTC))
    page = open_page(java_script_enabled=False)

    page.goto("/")
    page.get_by_role("link", name="Archive", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive")
    expect(page.locator(".archive-months li")).to_have_count(2)
    page.get_by_role("link", name="November").click()
    expect(page).to_have_url(re.compile(r"/archive/2026/11$"))
    expect(page.get_by_role("link", name="Autumn notes")).to_be_visible()
    expect(page.get_by_role("link", name="Earlier notes")).to_have_count(0)
    assert problems == []
