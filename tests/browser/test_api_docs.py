"""The API's interactive docs run in a real browser under the site's CSP."""

from __future__ import annotations

import pytest

from tests.browser.helpers import OpenPage

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_every_operation_with_no_csp_violation(
    open_page: OpenPage, problems: list[str]
) -> None:
    page = open_page()
    page.goto("/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Inkstand API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock")
    assert page.locator(".opblock").count() >= 12
    assert problems == []


def test_the_docs_lead_back_to_the_site(open_page: OpenPage) -> None:
    page = open_page()
    page.goto("/api/v1/docs")
    page.get_by_role("link", name="Back to the site").click()
    page.wait_for_url("**/")
    assert page.locator(".site-title").count() == 1
