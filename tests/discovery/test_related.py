"""Related posts under a post: sharing the most tags first, then the newest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from inkstand.db import utcnow
from inkstand.discovery import reading as discovery_reading


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
