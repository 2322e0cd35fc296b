"""The statistics dashboard in a real browser: the chart and its table agree, the page
passes axe in both colour schemes, it works without JavaScript, and with it the live
visitor count comes in without a reload; a post's panel on its edit page passes axe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import insert, select

from inkstand.accounts.models import Role
from inkstand.analytics import live
from inkstand.analytics.models import PageView
from inkstand.blog.models import Post
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def editor(live_app: Flask) -> str:
    """An editor, and a week of views of her post: day n has n + 1 views."""
    with live_app.app_context():
        factory = Factory(live_app)
        factory.user(Role.ADMIN, "owner")
        user = factory.user(Role.EDITOR, "edna")
        post = factory.post(user, "A counted post")
        rows = []
        for n in range(7):
            when = utcnow() - timedelta(days=n)
            rows += [
                {"viewed_at": when, "day": when.date(), "path": f"/posts/{post.slug}",
                 "post_id": post.id, "referrer_host": "news.example.com", "utm_source": "",
                 "utm_medium": "", "utm_campaign": "spring" if v % 2 else "", "device": "mobile",
                 "browser": "Firefox", "os": "Android", "visitor": f"{n}-{v}"}
                for v in range(n + 1)
            ]  # fmt: skip
        db.session.execute(insert(PageView), rows)
        db.session.commit()
        return user.username


def test_the_chart_and_its_table_agree(
    open_page: OpenPage, editor: str, problems: list[str]
) -> None:
    page = open_page(java_script_enabled=False)
    log_in(page, editor)
    page.goto("/stats?days=7")
    chart = page.get_by_role("img", name="Page views per day")
    expect(chart).to_be_visible()
    assert (page.locator("svg > title").text_content() or "").startswith("Page views and visitors")
    assert page.locator("svg rect.bar").count() == 7
    cells = page.locator("#daily tbody tr td:first-of-type").all_inner_texts()
    assert sorted(int(c) for c in cells) == [1, 2, 3, 4, 5, 6, 7]
    heights = [float(h) for h in page.locator("svg rect.bar").evaluate_all(
        "bars => bars.map(b => b.getAttribute('height'))")]  # fmt: skip
    assert heights == sorted(heights, reverse=True)  # oldest day (7 views) first, tallest
    expect(page.get_by_role("row", name="A counted post 28 28")).to_be_visible()
    page.get_by_label("Last").select_option("90")
    page.get_by_role("button", name="Show").click()
    assert page.locator("svg rect.bar").count() == 90
    check_page(page, "/stats")
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_dashboard_passes_axe(
    browser: Browser, live_server: str, editor: str, scheme: str
) -> None:
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, editor)
    found = {}
    for path in ["/stats", "/stats?days=7", "/stats?first=2026-02-10&last=2026-01-01"]:
        page.goto(path)
        violations = Axe().run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
    context.close()
    assert found == {}


def test_live_visitors_come_in_without_a_reload(
    live_app: Flask, open_page: OpenPage, editor: str, problems: list[str]
) -> None:
    page = open_page()
    log_in(page, editor)
    page.goto("/stats")
    count = page.locator("#live-count")
    expect(count).to_have_text("1")  # today's one visitor, drawn with the page
    page.wait_for_timeout(500)  # the stream opens and sends the same number
    with live_app.app_context():
        now = utcnow()
        rows = [
            {"viewed_at": now, "day": now.date(), "path": "/", "post_id": None,
             "referrer_host": "", "utm_source": "", "utm_medium": "", "utm_campaign": "",
             "device": "desktop", "browser": "Firefox", "os": "Linux", "visitor": f"new-{n}"}
            for n in range(2)
        ]  # fmt: skip
        db.session.execute(insert(PageView), rows)
        db.session.commit()
        live.ring(live_app, 2)  # as a flush does
    expect(count).to_have_text("3", timeout=5_000)
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_post_panel_passes_axe(
    live_app: Flask, browser: Browser, live_server: str, editor: str, scheme: str
) -> None:
    with live_app.app_context():
        post_id = db.session.scalar(select(Post.id))
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    log_in(page, editor)
    page.goto(f"/posts/{post_id}/edit")
    panel = page.get_by_role("region", name="Readers of this post")
    expect(panel.get_by_role("img", name="Page views per day")).to_be_visible()
    expect(panel.get_by_role("cell", name="news.example.com")).to_be_visible()
    violations = Axe().run(page).response["violations"]
    context.close()
    assert [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations] == []
