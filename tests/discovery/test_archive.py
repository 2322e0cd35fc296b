"""The monthly archive: an index of months with their counts, and a page per month."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import bulk_posts, count_queries, post_titles


def at(year: int, month: int, day: int = 15, *rest: int) -> datetime:
    return datetime(year, month, day, *rest, tzinfo=UTC)


def _months(html: str) -> list[tuple[str, str, str]]:
    """(link, month name, count) of each month the archive index shows."""
    return re.findall(
        r'<a href="(/archive/\d{4}/\d{2})">(\w+)</a>\s*<span class="count">([^<]+)</span>', html
    )


def test_the_index_counts_listed_posts_per_month_newest_first(client, factory):
    ada = factory.user(username="ada")
    factory.post(ada, "November one", publish_at=at(2026, 11, 1, 0, 0))
    factory.post(ada, "November two", publish_at=at(2026, 11, 30, 23, 59))
    factory.post(ada, "October", publish_at=at(2026, 10))
    factory.post(ada, "Last year", publish_at=at(2025, 12))
    factory.post(ada, "A draft", status="draft")
    factory.post(ada, "Archived", status="archived", publish_at=at(2026, 9))
    factory.post(ada, "Scheduled", publish_at=utcnow() + timedelta(days=40))

    html = client.get("/archive").get_data(as_text=True)

    assert _months(html) == [
        ("/archive/2026/11", "November", "2 posts"),
        ("/archive/2026/10", "October", "1 post"),
        ("/archive/2025/12", "December", "1 post"),
    ]
    assert re.findall(r'<h2 id="year-\d+">(\d+)</h2>', html) == ["2026", "2025"]


@pytest.fixture
def far_east(app):
    """Database sessions in a zone 13 hours ahead of UTC (PostgreSQL reads a
    timestamptz in its session's zone; SQLite has none)."""

    def set_zone(connection, record):
        if db.engine.dialect.name == "postgresql":
            cursor = connection.cursor()
            cursor.execute("SET TIME ZONE 'Pacific/Auckland'")
            cursor.close()
            connection.commit()

    event.listen(db.engine, "connect", set_zone)
    db.engine.dispose()
    yield
    event.remove(db.engine, "connect", set_zone)
    db.engine.dispose()


def test_months_are_months_of_utc_whatever_the_databases_zone(client, factory, far_east):
    ada = factory.user(username="ada")
    factory.post(ada, "Late October", publish_at=at(2026, 10, 31, 20, 0))  # 1 Nov in Auckland
    factory.post(ada, "Late November", publish_at=at(2026, 11, 30, 12, 0))  # 1 Dec there
    html = client.get("/archive").get_data(as_text=True)
    assert [m[:2] for m in _months(html)] == [
        ("/archive/2026/11", "November"),
        ("/archive/2026/10", "October"),
    ]
    assert post_titles(client.get("/archive/2026/11").get_data(as_text=True)) == ["Late November"]


def test_a_month_page_lists_that_months_posts_only(client, factory):
    ada = factory.user(username="ada")
    factory.post(ada, "Last of October", publish_at=at(2026, 10, 31, 23, 59))
    factory.post(ada, "First of November", publish_at=at(2026, 11, 1, 0, 0))
    factory.post(ada, "End of November", publish_at=at(2026, 11, 30, 23, 59))
    factory.post(ada, "First of December", publish_at=at(2026, 12, 1, 0, 0))
    factory.post(ada, "Draft", status="draft", publish_at=at(2026, 11))

    html = client.get("/archive/2026/11").get_data(as_text=True)

    assert "<h1>November 2026</h1>" in html
    assert post_titles(html) == ["End of November", "First of November"]


def test_a_month_without_posts_is_an_empty_page(client):
    html = client.get("/archive/1999/01").get_data(as_text=True)
    assert "Nothing was published this month." in html


@pytest.mark.parametrize(
    "url",
    [
        "/archive/2026/13",
        "/archive/2026/00",
        "/archive/0000/01",
        "/archive/2026/1",
        "/archive/26/11",
        "/archive/abcd/01",
        "/archive/2026/-1",
        "/archive/99999/01",
        "/archive/2026",
    ],
)
def test_a_month_that_cannot_exist_is_a_404_page(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/archive?before=2026-13", "/archive?after=junk",
                                 "/archive/2026/11?before=junk"])  # fmt: skip
def test_a_broken_page_link_is_a_400_page(client, url):
    assert client.get(url).status_code == 400


def test_the_index_pages_by_keyset_on_the_posts_time(app, client, factory, queries, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_MONTHS_PER_PAGE", 2)
    ada = factory.user(username="ada")
    for month in (7, 8, 9, 10, 11):
        factory.post(ada, f"Month {month}", publish_at=at(2026, month))

    first = client.get("/archive").get_data(as_text=True)
    assert [m[0] for m in _months(first)] == ["/archive/2026/11", "/archive/2026/10"]
    older = re.search(r'rel="next" href="(/archive\?before=2026-10)"', first)[1]
    queries.clear()
    second = client.get(older).get_data(as_text=True)
    assert "posts.published_at < " in next(q for q in queries if "count(posts.id)" in q)
    assert [m[0] for m in _months(second)] == ["/archive/2026/09", "/archive/2026/08"]
    newer = re.search(r'rel="prev" href="(/archive\?after=2026-09)"', second)[1]
    back = client.get(newer).get_data(as_text=True)
    assert [m[0] for m in _months(back)] == ["/archive/2026/11", "/archive/2026/10"]
    last = client.get(re.search(r'rel="next" href="([^"]+)"', second)[1])
    assert [m[0] for m in _months(last.get_data(as_text=True))] == ["/archive/2026/07"]
    assert 'rel="next"' not in last.get_data(as_text=True)


def test_a_month_page_pages_by_keyset(client, factory):
    ada = factory.user(username="ada")
    for n in range(12):
        factory.post(ada, f"Day {n + 1}", publish_at=at(2026, 11, n + 1))
    first = client.get("/archive/2026/11").get_data(as_text=True)
    assert post_titles(first) == [f"Day {n}" for n in range(12, 2, -1)]
    older = re.search(r'rel="next" href="([^"]+)"', first)[1].replace("&amp;", "&")
    assert post_titles(client.get(older).get_data(as_text=True)) == ["Day 2", "Day 1"]


# The archive index: the site settings, the months. A month: the site settings, its posts.
@pytest.mark.parametrize("page", ["/archive", "/archive/{:%Y/%m}"])
def test_query_count_is_fixed_whatever_the_number_of_posts(client, factory, queries, page):
    author = factory.user(username="ada")
    factory.post(author, "One")
    url = page.format(utcnow() - timedelta(days=1))
    small = count_queries(client, queries, url)
    bulk_posts(author, 300)
    assert small == count_queries(client, queries, url) == 2
