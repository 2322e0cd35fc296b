"""Pages at the site root and the editor's screens, for every role; their query counts."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inkstand.extensions import db
from inkstand.pages import menu
from inkstand.pages.models import Page
from tests.helpers import (
    TOO_LONG,
    Factory,
    count_queries,
    errors_on,
    fresh,
    login,
    submit,
)
from tests.pages.helpers import make_page

# The page view: the site settings (the menu with them), the page.
PAGE_QUERIES = 2
FORM = {"title": "About", "body": "We *write*.", "slug": "", "status": "published"}


def test_a_published_page_is_at_the_root_for_everyone(client: FlaskClient, factory: Factory):
    make_page(factory.user("admin"), "About", body="We **write** here.")
    response = client.get("/about")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>About</h1>" in html
    assert "<strong>write</strong>" in html
    assert "Edit this page" not in html


def test_a_draft_is_404_for_visitors_and_authors_and_shown_to_editors(
    client: FlaskClient, factory: Factory
):
    make_page(factory.user("admin"), "Plans", status="draft")
    assert client.get("/plans").status_code == 404
    login(client, factory.user("author"))
    assert client.get("/plans").status_code == 404


def test_an_editor_sees_a_draft_with_its_edit_link(client: FlaskClient, factory: Factory):
    make_page(factory.user("admin"), "Plans", status="draft")
    login(client, factory.user("editor"))
    html = client.get("/plans").get_data(as_text=True)
    assert "Draft: only editors and admins see this page." in html
    assert "Edit this page" in html


@pytest.mark.parametrize("address", ["/no-such-page", "/About", "/a_b", "/a--b", "/-a", "/é"])
def test_no_such_page_is_404(client: FlaskClient, factory: Factory, address: str):
    assert client.get(address).status_code == 404


def test_routes_keep_their_answers(client: FlaskClient, factory: Factory):
    """The root's pages never take a route's answer: GET of a POST-only route is 405."""
    make_page(factory.user("admin"), "About")
    assert client.get("/logout").status_code == 405
    assert client.get("/login").status_code == 200
    assert client.post("/about").status_code in (400, 405)  # CSRF first, or no such method


def test_the_page_view_runs_a_fixed_number_of_queries(client, factory, queries):
    admin = factory.user("admin")
    page = make_page(admin, "About")
    small = count_queries(client, queries, "/about")
    menu.add_page(db.session, admin, page.id, "")
    for n in range(15):  # the menu grows: no query per link
        menu.add_page(db.session, admin, make_page(admin, f"Page {n}").id, "")
    large = count_queries(client, queries, "/about")
    assert 'href="/page-14"' in client.get("/about").get_data(as_text=True)
    assert small == large == PAGE_QUERIES


def test_the_menu_adds_no_query_to_any_page(client, factory, queries):
    admin = factory.user("admin")
    factory.post(admin, "A post")
    before = {url: count_queries(client, queries, url) for url in ("/", "/archive")}
    for n in range(10):
        menu.add_page(db.session, admin, make_page(admin, f"Page {n}").id, "")
        menu.add_link(db.session, admin, f"Link {n}", f"https://example.com/{n}")
    after = {url: count_queries(client, queries, url) for url in ("/", "/archive")}
    assert before == after


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_writers_make_a_page_through_the_form(client: FlaskClient, factory: Factory, role: str):
    factory.user("admin", "boss")
    login(client, factory.user(role))
    assert client.get("/pages").status_code == 200
    response = submit(client, "/pages/new", FORM, page="/pages/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/about"
    page_id = fresh(select(Page.id))
    edit = client.get(f"/pages/{page_id}/edit").get_data(as_text=True)
    assert 'id="post-form"' in edit
    assert 'data-preview-url="/posts/preview"' in edit
    changed = submit(
        client, f"/pages/{page_id}/edit", {**FORM, "title": "About us", "version": "1"},
        page=f"/pages/{page_id}/edit",
    )  # fmt: skip
    assert changed.status_code == 302
    revisions = client.get(f"/pages/{page_id}/revisions").get_data(as_text=True)
    assert "Restore revision 1" in revisions
    compare = client.get(f"/pages/{page_id}/revisions/compare?from=1&to=2")
    assert "About us" in compare.get_data(as_text=True)
    restored = submit(client, f"/pages/{page_id}/revisions/1/restore", page="/pages")
    assert restored.status_code == 302
    assert fresh(select(Page.title)) == "About"
    deleted = submit(client, f"/pages/{page_id}/delete", page="/pages")
    assert deleted.status_code == 302
    assert fresh(select(func.count(Page.id))) == 0


@pytest.mark.parametrize("role", ["author", "reader"])
def test_others_are_refused_at_every_screen(client: FlaskClient, factory: Factory, role: str):
    page = make_page(factory.user("admin"), "About")
    login(client, factory.user(role))
    for url in ("/pages", "/pages/new", f"/pages/{page.id}/edit", f"/pages/{page.id}/revisions"):
        assert client.get(url).status_code == 403, url
    assert submit(client, "/pages/new", FORM).status_code == 403
    assert submit(client, f"/pages/{page.id}/delete").status_code == 403
    assert fresh(select(func.count(Page.id))) == 1
    assert "/pages" not in re.findall(r'href="(/pages)"', client.get("/").get_data(as_text=True))


def test_a_visitor_is_sent_to_log_in(client: FlaskClient, factory: Factory):
    assert client.get("/pages/new").status_code == 302
    assert client.post("/pages/new", data=FORM).status_code == 400  # no CSRF token


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"title": "t" * 10_000}, TOO_LONG.format(200), id="10-KB-title"),
        pytest.param({"slug": "login"}, "/login is an address of the site itself", id="route"),
        pytest.param({"slug": "posts"}, "/posts is an address of the site itself", id="posts"),
        pytest.param({"slug": "contact"}, "Another page already uses /contact.", id="taken"),
        pytest.param({"slug": "Bad Slug"}, "Use lowercase letters", id="bad-slug"),
        pytest.param({"status": "archived"}, "Not a valid choice.", id="state"),
    ],
)
def test_bad_input_is_a_form_error(client: FlaskClient, factory: Factory, change, message):
    admin = factory.user("admin")
    make_page(admin, "Contact")
    login(client, admin)
    response = submit(client, "/pages/new", {**FORM, **change}, page="/pages/new")
    assert response.status_code == 422
    assert any(message in error for error in errors_on(response)), errors_on(response)
    assert fresh(select(func.count(Page.id))) == 1


def test_script_in_a_title_is_escaped(client: FlaskClient, factory: Factory):
    make_page(factory.user("admin"), "<script>alert(1)</script>", slug="xss")
    html = client.get("/xss").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_stale_save_shows_the_difference(client: FlaskClient, factory: Factory):
    admin = factory.user("admin")
    page = make_page(admin, "About", body="Theirs.")
    login(client, admin)
    url = f"/pages/{page.id}/edit"
    submit(client, url, {**FORM, "body": "Newer.", "version": "1"}, page=url)
    stale = submit(client, url, {**FORM, "body": "Mine.", "version": "1"}, page=url)
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Someone else saved this page" in html
    assert "Mine." in html
    assert fresh(select(Page.body_source)) == "Newer."


def test_the_no_script_preview_renders_and_saves_nothing(client: FlaskClient, factory: Factory):
    login(client, factory.user("admin"))
    body = {**FORM, "body": "A **bold** claim", "preview": "1"}
    response = submit(client, "/pages/new", body, page="/pages/new")
    assert "<strong>bold</strong>" in response.get_data(as_text=True)
    assert fresh(select(func.count(Page.id))) == 0
