"""Feeds, the sitemap and the archive are the same for every visitor: the page cache
keeps them, validators and all, so a feed reader's poll costs no query."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from sqlalchemy import event

from inkstand.extensions import db
from tests.helpers import Factory, need_service, separate_app


@pytest.fixture(params=["memory", "redis"])
def cached_app(request, database_url, tmp_path) -> Iterator[Flask]:
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}:"
    overrides = {"PAGE_CACHE_SECONDS": 300, "CACHE_KEY_PREFIX": prefix}
    if request.param == "redis":
        overrides["REDIS_URL"] = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    with separate_app(tmp_path, database_url, **overrides) as app:
        yield app
    if request.param == "redis":
        client = redis.Redis.from_url(overrides["REDIS_URL"])
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


@pytest.fixture
def sql(cached_app) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    event.remove(db.engine, "before_cursor_execute", record)


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
