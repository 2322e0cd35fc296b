"""Export and import in a real browser: an admin uploads a WordPress export, lands on its
report (the import ran inline: no Redis here), and downloads the site's export; the pages
have no accessibility violation (light and dark) and fit a phone."""

from __future__ import annotations

import zipfile

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, expect

from inkstand.accounts.models import Role
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import Factory
from tests.moving import wxr

pytestmark = pytest.mark.browser


def _admin(live_app: Flask) -> str:
    with live_app.app_context():
        return Factory(live_app).user(Role.ADMIN, "boss").username


def test_an_admin_imports_a_wordpress_export_and_downloads_the_site(
    open_page: OpenPage, live_app: Flask, tmp_path
):
    page = open_page()
    log_in(page, _admin(live_app))
    page.goto("/admin/")
    page.get_by_role("link", name="Export and import").first.click()
    export = tmp_path / "old-blog.xml"
    export.write_bytes(wxr.realistic())
    page.get_by_label("Export from").select_option("wordpress")
    page.get_by_label("Export file").set_input_files(export)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Import of old-blog.xml")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Done.")
    expect(page.get_by_role("cell", name="post (scheduled)")).to_be_visible()
    expect(page.get_by_text("its state 'trash' is not one Inkstand keeps")).to_be_visible()
    page.goto("/posts/uber-den-wolken")
    expect(page.get_by_role("heading", name="Über den Wolken — a trip")).to_be_visible()
    page.goto("/admin/moving")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the export").click()
    saved = tmp_path / "site.zip"
    download.value.save_as(saved)
    assert "tables/posts.jsonl" in zipfile.ZipFile(saved).namelist()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_and_it_fits_a_phone(
    browser: Browser, live_server: str, live_app: Flask, tmp_path, scheme: str
):
    admin = _admin(live_app)
    context = browser.new_context(
        base_url=live_server, color_scheme=scheme, bypass_csp=True,
        viewport={"width": 390, "height": 844},
    )  # fmt: skip
    page = context.new_page()
    log_in(page, admin)
    export = tmp_path / "old-blog.xml"
    export.write_bytes(wxr.realistic())
    page.goto("/admin/moving")
    page.get_by_label("Export file").set_input_files(export)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_have_text("Done.")
    axe = Axe()
    found = {}
    for path in ["/admin/moving", page.url]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        violations = axe.run(page).response["violations"]
        if violations:
            found[path] = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in violations]
    context.close()
    assert found == {}


def test_the_page_has_labels_and_one_heading(open_page: OpenPage, live_app: Flask):
    page = open_page()
    log_in(page, _admin(live_app))
    check_page(page, "/admin/moving")
