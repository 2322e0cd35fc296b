"""axe-core finds no accessibility violation (contrast included) on the main pages,
in light and dark colour schemes."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser

from inkstand.accounts.models import User
from inkstand.extensions import db
from tests.helpers import Factory

pytestmark = pytest.mark.browser

BODY = "Intro.\n\n## Section\n\nText with `code` and a [link](https://example.com).\n"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations(
    browser: Browser, live_server: str, live_app: Flask, author: User, scheme: str
) -> None:
    with live_app.app_context():
        writer = db.session.get(User, author.id)
        post = Factory(live_app).post(writer, "An accessible post", body=BODY, tags="a11y")
        Factory(live_app).post(writer, "A related post", body=BODY, tags="a11y")
        month = f"/archive/{post.published_at:%Y/%m}"
    # axe is injected as a script, which the site's own CSP would refuse.
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    axe = Axe()
    found = {}
    for path in ["/", f"/posts/{post.slug}", "/tags/a11y", f"/authors/{author.username}",
                 "/archive", month, "/login", "/register", "/register/sent", "/password/forgot",
                 "/search?q=accessible+section", "/search?q=nothing+matches"]:  # fmt: skip
        page.goto(path)
        violations = axe.run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
    context.close()
    assert found == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_api_docs_have_no_axe_violations(
    browser: Browser, live_server: str, scheme: str
) -> None:
    """Swagger UI, as our stylesheet and script mend it: folded, and with an operation open."""
    context = browser.new_context(base_url=live_server, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock")
    found = {"folded": Axe().run(page).response["violations"]}
    page.locator(".opblock-summary-control").first.click()
    page.wait_for_selector(".opblock-body")
    found["open"] = Axe().run(page).response["violations"]
    context.close()
    assert {k: [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in found[k]]
            for k in found if found[k]} == {}  # fmt: skip
