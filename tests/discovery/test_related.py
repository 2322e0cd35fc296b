"""Related posts under a post: sharing the most tags first, then the newest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from inkstand import runtime
from inkstand.db import utcnow
from inkstand.discovery import reading as discovery_reading
from tests.helpers import Client, Factory, change, login, page_cached_app, recorded_sql


def _related(client, slug: str) -> list[str]:
    html = client.get(f"/posts/{slug}").get_data(as_text=True)
    aside = re.search(r'<aside class="related".*?</aside>', html, re.S)
    return re.findall(r'<a href="/posts/[^"]+">([^<]+)</a>', aside[0]) if aside else []


def test_posts_sharing_more_tags_come_first_then_the_newest(client, factory):
    ada, bob = factory.user(username="ada"), factory.user(username="bob")
    day = datetime(2026, 11, 1, tzinfo=UTC)
    post = factory.post(ada, "About SQL", tags="sql, python, web", publish_at=day)
    factory.post(bob, "One tag, old", tags="web", publish_at=day - timedelta(days=9))
    factory.post(bob, "Two tags", tags="sql, python", publish_at=day - timedelta(days=5))
    factory.post(ada, "One tag, new", tags="python", publish_at=day + timedelta(days=1))
    factory.post(bob, "Unrelated", tags="go", publish_at=day + timedelta(days=2))

    assert _related(client, post.slug) == ["Two tags", "One tag, new", "One tag, old"]


def test_only_listed_posts_are_related(client, factory):
    ada = factory.user(username="ada")
    post = factory.post(ada, "Main", tags="python")
    factory.post(ada, "Draft", tags="python", status="draft")
    factory.post(ada, "Scheduled", tags="python", publish_at=utcnow() + timedelta(days=1))
    factory.post(ada, "Archived", tags="python", status="archived")
    factory.post(ada, "Listed", tags="python")
    assert _related(client, post.slug) == ["Listed"]


def test_how_many_is_a_setting_and_a_post_without_tags_has_none(app, client, factory, monkeypatch):
    ada = factory.user(username="ada")
    post = factory.post(ada, "Main", tags="python")
    for n in range(5):
        factory.post(ada, f"Other {n}", tags="python")
    assert len(_related(client, post.slug)) == 3
    monkeypatch.setitem(app.config, "RELATED_POSTS", 1)
    assert _related(client, post.slug) == ["Other 4"]
    untagged = factory.post(ada, "No tags")
    assert _related(client, untagged.slug) == []
    html = client.get(f"/posts/{untagged.slug}").get_data(as_text=True)
    assert "Related posts" not in html


def test_a_hostile_related_title_is_escaped(client, factory):
    ada = factory.user(username="ada")
    post = factory.post(ada, "Main", tags="python")
    factory.post(ada, "<img src=x onerror=alert(1)>", tags="python")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_candidates_are_the_newest_posts_of_each_tag(client, factory, monkeypatch):
    """The cost is bounded: only the RELATED_WINDOW newest posts of each tag are looked
    at, so an old post sharing every tag gives way to newer ones sharing one."""
    monkeypatch.setattr(discovery_reading, "RELATED_WINDOW", 2)
    ada = factory.user(username="ada")
    day = datetime(2026, 11, 1, tzinfo=UTC)
    factory.post(ada, "Old, both tags", tags="sql, web", publish_at=day - timedelta(days=9))
    factory.post(ada, "SQL one", tags="sql", publish_at=day - timedelta(days=3))
    factory.post(ada, "SQL two", tags="sql", publish_at=day - timedelta(days=2))
    factory.post(ada, "Web one", tags="web", publish_at=day - timedelta(days=3))
    factory.post(ada, "Web two", tags="web", publish_at=day - timedelta(days=2))
    post = factory.post(ada, "Main", tags="sql, web", publish_at=day)
    assert _related(client, post.slug) == ["Web two", "SQL two", "Web one"]
    monkeypatch.setattr(discovery_reading, "RELATED_WINDOW", 200)
    assert _related(client, post.slug)[0] == "Old, both tags"


# --- Kept per process while the content does not change (the page cache on) ---


@pytest.fixture
def cached_app(database_url, tmp_path) -> Iterator[Flask]:
    with page_cached_app("memory", tmp_path, database_url) as app:
        yield app


def _related_reads(client, slug: str) -> tuple[list[str], int]:
    """The related titles a logged-in reader sees, and how many queries read them."""
    with recorded_sql() as statements:
        titles = _related(client, slug)
    return titles, sum("post_tags" in statement for statement in statements)


def test_related_posts_are_read_once_per_content_version(cached_app):
    factory = Factory(cached_app)
    ada = factory.user(username="ada")
    post = factory.post(ada, "Main", tags="python")
    other = factory.post(ada, "Other", tags="python")
    reader = Client(cached_app)
    login(reader, factory.user("reader", username="reader"))
    assert _related_reads(reader, post.slug) == (["Other"], 1)
    assert _related_reads(reader, post.slug) == (["Other"], 0)
    # Any change a visitor sees gives the content a new version: read again.
    change(other, ada, title="Other, retitled")
    assert _related_reads(reader, post.slug) == (["Other, retitled"], 1)
    factory.post(ada, "Newest", tags="python")
    assert _related_reads(reader, post.slug) == (["Newest", "Other, retitled"], 1)


def test_kept_related_posts_make_way_for_a_scheduled_post_on_time(cached_app, monkeypatch):
    factory = Factory(cached_app)
    ada = factory.user(username="ada")
    post = factory.post(ada, "Main", tags="python")
    factory.post(ada, "Soon", tags="python", publish_at=utcnow() + timedelta(minutes=5))
    reader = Client(cached_app)
    login(reader, factory.user("reader", username="reader"))
    assert _related(reader, post.slug) == []
    assert _related(reader, post.slug) == []
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(runtime, "utcnow", lambda: later)
    assert _related(reader, post.slug) == ["Soon"]
