"""Pages stay apart from the post stream: no list, feed, search or API of posts shows one
(they are a table of their own; this walks every door to be sure). The page cache keeps a
published page for visitors and retires it when it is edited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.pages import menu
from tests.helpers import Factory, page_cached_app, recorded_sql
from tests.pages.helpers import change_page, make_page

WORD = "zanzibarquux"


def test_no_list_feed_search_or_api_shows_a_page(client: FlaskClient, factory: Factory):
    admin = factory.user("admin", "ada")
    post = factory.post(admin, "An ordinary post", body="Plain words.", tags="news")
    make_page(admin, f"About {WORD}", body=f"The {WORD} page.", slug=WORD)
    month = f"/archive/{post.published_at:%Y/%m}"
    listings = [
        "/", "/archive", month, "/tags/news", "/authors/ada", "/rss.xml", "/atom.xml",
        "/tags/news/rss.xml", "/authors/ada/atom.xml", f"/posts/{post.slug}",
        f"/search?q={WORD}", "/search?q=page", "/api/v1/posts", f"/api/v1/search?q={WORD}",
        "/api/articles", "/api/tags", "/sitemaps/posts.xml",
    ]  # fmt: skip
    for url in listings:
        response = client.get(url)
        assert response.status_code == 200, url
        # A search page repeats the words searched for; a hit would show the page's
        # title or a snippet of its body, marks and all.
        text = re.sub(r"<[^>]+>", "", response.get_data(as_text=True))
        assert f"About {WORD}" not in text, url
        assert f"The {WORD} page" not in text, url
        assert f"/{WORD}" not in text, url
    assert WORD in client.get(f"/{WORD}").get_data(as_text=True)


def test_a_page_linked_in_the_menu_is_only_in_the_header(client: FlaskClient, factory: Factory):
    admin = factory.user("admin")
    factory.post(admin, "Listed post")
    page = make_page(admin, f"About {WORD}", slug=WORD)
    menu.add_page(db.session, admin, page.id, "About")
    html = client.get("/").get_data(as_text=True)
    assert f'href="/{WORD}"' in html
    assert WORD not in html.replace(f'href="/{WORD}"', "")
    assert WORD not in client.get("/rss.xml").get_data(as_text=True)


@pytest.fixture(params=["memory", "redis"])
def cached_app(request, database_url, tmp_path) -> Iterator[Flask]:
    with page_cached_app(request.param, tmp_path, database_url) as app:
        yield app


def test_a_published_page_is_cached_for_visitors_and_retired_on_edit(cached_app: Flask):
    factory = Factory(cached_app)
    admin = factory.user("admin")
    page = make_page(admin, "About", body="First words.")
    client = cached_app.test_client()
    assert "First words." in client.get("/about").get_data(as_text=True)
    with recorded_sql() as statements:
        again = client.get("/about")
    assert statements == []  # the stored page
    assert "First words." in again.get_data(as_text=True)
    change_page(page, admin, body="Second words.")
    assert "Second words." in client.get("/about").get_data(as_text=True)
    change_page(page, admin, status="draft")
    assert client.get("/about").status_code == 404
    assert utcnow()
