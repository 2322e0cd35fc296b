"""The header's menu: admins add pages and links, move them and remove them; pages'
links follow their address and state; nothing else may arrange it."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.extensions import db
from inkstand.pages import menu, services
from inkstand.site import services as site
from tests.helpers import Factory, errors_on, login, submit
from tests.pages.helpers import change_page, make_page


def _header_links(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="site-menu wrap" aria-label="Pages">(.*?)</nav>', html, re.S)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav[1]) if nav else []


def test_admins_arrange_the_menu_through_the_page(client: FlaskClient, factory: Factory):
    admin = factory.user("admin")
    about = make_page(admin, "About")
    login(client, admin)
    assert client.get("/admin/menu").status_code == 200
    submit(
        client, "/admin/menu/pages", {"page": str(about.id), "page_label": ""}, page="/admin/menu"
    )
    submit(
        client, "/admin/menu/links", {"label": "Code", "url": "https://example.com/code"},
        page="/admin/menu",
    )  # fmt: skip
    submit(client, "/admin/menu/links", {"label": "Archive", "url": "/archive"}, page="/admin/menu")
    home = client.get("/").get_data(as_text=True)
    assert _header_links(home) == [
        ("/about", "About"), ("https://example.com/code", "Code"), ("/archive", "Archive")
    ]  # fmt: skip
    submit(client, "/admin/menu/up", {"index": "2"}, page="/admin/menu")
    submit(client, "/admin/menu/down", {"index": "0"}, page="/admin/menu")
    submit(client, "/admin/menu/up", {"index": "0"}, page="/admin/menu")  # at the top: stays
    links = _header_links(client.get("/").get_data(as_text=True))
    assert [label for _, label in links] == ["Archive", "About", "Code"]
    submit(client, "/admin/menu/remove", {"index": "1"}, page="/admin/menu")
    links = _header_links(client.get("/").get_data(as_text=True))
    assert [label for _, label in links] == ["Archive", "Code"]


@pytest.mark.parametrize(
    ("label", "url", "message"),
    [
        pytest.param("Evil", "javascript:alert(1)", "Give an address of this site", id="js"),
        pytest.param("Evil", "//evil.example/", "Give an address of this site", id="scheme-less"),
        pytest.param("Evil", "data:text/html,hi", "Give an address of this site", id="data"),
        pytest.param("Evil", "https://", "Give an address of this site", id="no-host"),
        pytest.param("Evil", "/a b", "Give an address of this site", id="space"),
        pytest.param("x" * 61, "/archive", "Field cannot be longer than 60", id="long-label"),
        pytest.param("", "/archive", "This field is required.", id="no-label"),
    ],
)
def test_a_bad_link_is_a_form_error(client: FlaskClient, factory: Factory, label, url, message):
    login(client, factory.user("admin"))
    response = submit(client, "/admin/menu/links", {"label": label, "url": url}, page="/admin/menu")
    assert response.status_code == 422
    assert any(message in e for e in errors_on(response)), errors_on(response)
    assert site.load(db.session).menu_items == []


def test_script_in_a_label_is_escaped(client: FlaskClient, factory: Factory):
    admin = factory.user("admin")
    menu.add_link(db.session, admin, "<script>alert(1)</script>", "/archive")
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_menu_holds_a_bounded_number_of_links(factory: Factory):
    admin = factory.user("admin")
    for n in range(20):
        menu.add_link(db.session, admin, f"L{n}", "/archive")
    with pytest.raises(Invalid):
        menu.add_link(db.session, admin, "One more", "/archive")
    assert len(site.load(db.session).menu_items) == 20


def test_a_pages_link_follows_its_address_and_state_and_goes_with_it(
    client: FlaskClient, factory: Factory
):
    admin = factory.user("admin")
    page = make_page(admin, "About", status="draft")
    menu.add_page(db.session, admin, page.id, "Who we are")
    assert _header_links(client.get("/").get_data(as_text=True)) == []  # a draft: waits
    page = change_page(page, admin, status="published", slug="who")
    assert _header_links(client.get("/").get_data(as_text=True)) == [("/who", "Who we are")]
    change_page(page, admin, status="draft")
    assert _header_links(client.get("/").get_data(as_text=True)) == []
    services.delete_page(db.session, admin, page.id)
    assert site.load(db.session).menu_items == []


@pytest.mark.parametrize("role", ["editor", "author", "reader"])
def test_only_admins_arrange_the_menu(client: FlaskClient, factory: Factory, role: str):
    admin = factory.user("admin")
    page = make_page(admin, "About")
    someone = factory.user(role)
    with pytest.raises(Forbidden):
        menu.add_page(db.session, someone, page.id, "")
    with pytest.raises(Forbidden):
        menu.add_link(db.session, someone, "x", "/archive")
    login(client, someone)
    assert client.get("/admin/menu").status_code == 403
    for url, data in [
        ("/admin/menu/pages", {"page": str(page.id)}),
        ("/admin/menu/links", {"label": "x", "url": "/archive"}),
        ("/admin/menu/remove", {"index": "0"}),
    ]:
        assert submit(client, url, data).status_code == 403, url
    assert site.load(db.session).menu_items == []


def test_a_visitor_is_sent_to_log_in(client: FlaskClient):
    assert client.get("/admin/menu").status_code == 302


def test_no_such_page_or_link(factory: Factory):
    admin = factory.user("admin")
    with pytest.raises(NotFound):
        menu.add_page(db.session, admin, 4242, "")
    with pytest.raises(NotFound):
        menu.remove(db.session, admin, 0)
    with pytest.raises(NotFound):
        menu.move(db.session, admin, 3, 1)


def test_an_unreadable_stored_menu_is_no_menu(client: FlaskClient, factory: Factory):
    admin = factory.user("admin")
    site.write(db.session, menu="{not json")
    db.session.commit()
    assert client.get("/").status_code == 200
    assert menu.items(db.session, admin) == []
