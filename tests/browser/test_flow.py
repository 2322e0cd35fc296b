"""End to end in a real browser: register, write, edit and delete a post, with and
without JavaScript, and a smoke test of the pages' accessibility."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.extensions import db
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import PASSWORD, Factory

pytestmark = pytest.mark.browser

BODY = """\
A first paragraph with *emphasis*.

```python
def greet(name):
    return f"Hello, {name}!"
```

And a closing line.
"""


def write_post(page: Page, title: str, body: str, tags: str) -> None:
    """Fill the open post form as Published and save it."""
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Body (Markdown)").fill(body)
    page.get_by_label("Tags", exact=True).fill(tags)
    page.get_by_label("State", exact=True).select_option(
        label="Published (or scheduled, with a future time)"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Post saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def post_link(page: Page, title: str) -> Locator:
    return page.get_by_role("link", name=title, exact=True)


def test_register_write_edit_and_delete_a_post(open_page: OpenPage, problems: list[str]) -> None:
    page = open_page()

    page.goto("/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Username", exact=True).fill("ada")
    page.get_by_label("E-mail", exact=True).fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Inkstand, ada.")

    page.get_by_role("link", name="Write").click()
    expect(page).to_have_url(re.compile(r"/write$"))
    write_post(page, "Greeting people in Python", BODY, "python, Testing")
    post_url = page.url
    code = page.locator(".prose pre code")
    expect(code).to_contain_text('return f"Hello, {name}!"')
    expect(code.locator("span").first).to_be_attached()  # highlighted by Pygments
    expect(page.locator(".prose em")).to_have_text("emphasis")
    for tag in ("#python", "#testing"):
        expect(page.get_by_role("link", name=tag, exact=True)).to_be_visible()

    page.goto("/")
    expect(post_link(page, "Greeting people in Python")).to_be_visible()
    expect(page.get_by_text("A first paragraph with emphasis.")).to_be_visible()  # the excerpt

    post_link(page, "Greeting people in Python").click()
    expect(page).to_have_url(post_url)
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Greeting people in Python”")
    expect(page.get_by_label("Tags", exact=True)).to_have_value("python, testing")
    page.get_by_label("Title", exact=True).fill("Greeting everyone in Python")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Post saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Greeting everyone in Python")

    page.goto("/")
    expect(post_link(page, "Greeting everyone in Python")).to_be_visible()
    expect(post_link(page, "Greeting people in Python")).to_have_count(0)
    post_link(page, "Greeting everyone in Python").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Greeting everyone in Python")

    page.get_by_role("link", name="Edit", exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())  # asks first
    page.get_by_role("link", name="Delete this post").click()
    expect(page.get_by_role("status")).to_contain_text("moved to the trash")
    page.goto("/")
    expect(page.get_by_text("Nothing published yet.")).to_be_visible()
    expect(post_link(page, "Greeting everyone in Python")).to_have_count(0)

    assert problems == []


def test_log_in_and_publish_without_javascript(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page(java_script_enabled=False)
    page.goto("/")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    log_in(page, author.username)
    page.get_by_role("link", name="Write").click()
    write_post(page, "Written without scripts", "Plain *Markdown* works.", "no-js")

    page.goto("/")
    expect(post_link(page, "Written without scripts")).to_be_visible()
    expect(page.get_by_role("link", name="#no-js", exact=True)).to_be_visible()
    assert problems == []


@pytest.fixture
def post(live_app: Flask, author: User) -> Post:
    with live_app.app_context():
        return Factory(live_app).post(
            db.session.get(User, author.id), "An accessible post", body=BODY
        )


def test_accessibility_basics(
    open_page: OpenPage, author: User, post: Post, problems: list[str], tmp_path: Path
) -> None:
    page = open_page()
    for path in ("/", f"/posts/{post.slug}", "/login"):
        check_page(page, path)
    log_in(page, author.username)
    check_page(page, "/write")

    page.goto("/")
    screenshot = tmp_path / "home.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0
    assert screenshot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert problems == []


def test_console_listener_sees_csp_violations(open_page: OpenPage, problems: list[str]) -> None:
    """The guard the other tests rely on: an inline style the CSP refuses is recorded."""
    page = open_page()
    page.goto("/")
    page.evaluate(
        "() => document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
    )
    page.wait_for_timeout(100)
    assert any("Content Security Policy" in problem for problem in problems), problems
