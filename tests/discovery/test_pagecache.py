"""Feeds, the sitemap and the archive are the same for every visitor: the page cache
keeps them, validators and all, so a feed reader's poll costs no query."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.helpers import Factory, page_cached_app, recorded_sql


@pytest.fixture(params=["memory", "redis"])
def cached_app(request, database_url, tmp_path) -> Iterator[Flask]:
    with page_cached_app(request.param, tmp_path, database_url) as app:
        yield app


@pytest.fixture
def sql(cached_app) -> Iterator[list[str]]:
    with recorded_sql() as statements:
        yield statements


@pytest.mark.parametrize("url", ["/atom.xml", "/sitemap.xml", "/archive", "/robots.txt"])
def test_a_kept_page_is_served_without_a_query(cached_app, sql, url):
    factory = Factory(cached_app)
    factory.post(factory.user(username="ada"), "Kept", tags="python")
    client = cached_app.test_client()
    first = client.get(url)
    sql.clear()
    second = client.get(url)
    assert sql == []
    assert second.get_data() == first.get_data()
    assert second.headers["Content-Type"] == first.headers["Content-Type"]


def test_a_kept_feed_keeps_its_validators_and_answers_304(cached_app, sql):
    factory = Factory(cached_app)
    ada = factory.user(username="ada")
    factory.post(ada, "First")
    client = cached_app.test_client()
    first = client.get("/rss.xml")
    etag = first.headers["ETag"]
    sql.clear()
    kept = client.get("/rss.xml")
    assert sql == []
    assert kept.headers["ETag"] == etag
    assert kept.headers["Last-Modified"] == first.headers["Last-Modified"]
    not_modified = client.get("/rss.xml", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert sql == []

    factory.post(ada, "Second")
    changed = client.get("/rss.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Second" in changed.get_data(as_text=True)
