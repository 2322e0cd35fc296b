"""In a real browser, without JavaScript: a visitor logs in from an author's page,
follows her, finds her post in the feed and favourites it."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from inkstand.blog.models import Post
from inkstand.extensions import db
from tests.browser.helpers import OpenPage
from tests.helpers import PASSWORD, Factory

pytestmark = pytest.mark.browser


def test_follow_an_author_then_favourite_her_post_from_the_feed(
    live_app: Flask, open_page: OpenPage, problems: list[str]
) -> None:
    with live_app.app_context():
        factory = Factory(live_app)
        factory.post(factory.user("author", "ada"), "Indexes, gently")
        factory.post(factory.user("author", "bram"), "Not in the feed")
        factory.user("reader", "rita")
    page = open_page(java_script_enabled=False)

    page.goto("/authors/ada")
    expect(page.locator(".followers")).to_have_text("0 followers")
    page.get_by_role("link", name="Follow", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username or e-mail").fill("rita")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/authors/ada$"))

    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("You now follow ada.")
    expect(page.locator(".followers")).to_have_text("1 follower")
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    page.get_by_role("link", name="Feed", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your feed")
    expect(page.get_by_role("link", name="Not in the feed")).to_have_count(0)
    page.get_by_role("link", name="Indexes, gently", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indexes, gently")

    page.get_by_role("button", name="Favourite", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Added to your favourites.")
    expect(page.locator(".favourites")).to_have_text("1 favourite")
    expect(page.get_by_role("button", name="Unfavourite")).to_be_visible()
    with live_app.app_context():
        count = select(Post.favourite_count).where(Post.title == "Indexes, gently")
        assert db.session.scalar(count) == 1
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_social_pages_of_an_account_pass_axe(
    browser: Browser, live_server: str, live_app: Flask, scheme: str
) -> None:
    with live_app.app_context():
        factory = Factory(live_app)
        post = factory.post(factory.user("author", "ada"), "Indexes, gently")
        factory.user("reader", "rita")
    # axe is injected as a script, which the site's own CSP would refuse.
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username or e-mail").fill("rita")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    axe = Axe()
    found = {}
    # The empty feed, then the buttons in both states, then a feed with a post.
    for path, press in [
        ("/feed", None), ("/authors/ada", "Follow"), ("/authors/ada", None),
        (f"/posts/{post.slug}", "Favourite"), (f"/posts/{post.slug}", None), ("/feed", None),
    ]:  # fmt: skip
        page.goto(path)
        violations = axe.run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
        if press:
            page.get_by_role("button", name=press, exact=True).click()
    context.close()
    assert found == {}
