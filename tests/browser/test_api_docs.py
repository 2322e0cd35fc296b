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
