"""RSS and Atom feeds of the site, a tag and an author, read by a real feed parser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import bulk_posts

FLAVOURS = ("rss", "atom")
HOSTILE = '</title><script>alert(1)</script> & "Tom\'s" <b>]]>'


def _parse(client, url: str, flavour: str):
    response = client.get(url)
    assert response.status_code == 200, url
    kind = {"rss": "application/rss+xml", "atom": "application/atom+xml"}[flavour]
    assert response.headers["Content-Type"] == f"{kind}; charset=utf-8"
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[flavour]
    return parsed


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_site_feed_has_every_listed_post_newest_first_with_full_content(client, factory, flavour):
    ada = factory.user(username="ada")
    ada.display_name = "Ada L."
    db.session.commit()
    when = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    older = factory.post(ada, "Older", publish_at=when, body="Some **bold** text", tags="sql")
    factory.post(ada, "Newer", publish_at=when + timedelta(days=1), excerpt="Short")

    feed = _parse(client, f"/{flavour}.xml", flavour)

    assert feed.feed.title == "Inkstand"
    assert feed.feed.link == "http://inkstand.test/"
    assert [entry.title for entry in feed.entries] == ["Newer", "Older"]
    entry = feed.entries[1]
    assert entry.link == f"http://inkstand.test/posts/{older.slug}"
    assert entry.published_parsed[:6] == (2026, 11, 3, 9, 30, 0)
    assert entry.author == "Ada L."
    assert "<strong>bold</strong>" in entry.content[0].value
    assert [tag.term for tag in entry.tags] == ["sql"]
    assert entry.id == f"tag:inkstand.test,{older.created_at:%Y-%m-%d}:posts/{older.id}"
    assert feed.entries[0].summary == "Short"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_hostile_title_is_escaped_and_read_back_as_written(client, factory, flavour):
    author = factory.user(username="ada")
    factory.post(author, HOSTILE, excerpt=HOSTILE, tags="web")
    response = client.get(f"/{flavour}.xml")
    assert b"<script" not in response.get_data()
    feed = _parse(client, f"/{flavour}.xml", flavour)
    assert feed.entries[0].title == HOSTILE


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("url", ["/{}.xml", "/tags/python/{}.xml", "/authors/ada/{}.xml"])
def test_drafts_scheduled_and_archived_posts_never_appear(client, factory, flavour, url):
    ada = factory.user(username="ada")
    factory.post(ada, "Public", tags="python")
    factory.post(ada, "Draft", status="draft", tags="python")
    factory.post(ada, "Scheduled", publish_at=utcnow() + timedelta(days=1), tags="python")
    factory.post(ada, "Archived", status="archived", tags="python")
    feed = _parse(client, url.format(flavour), flavour)
    assert [entry.title for entry in feed.entries] == ["Public"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_tag_and_author_feeds_hold_only_their_posts(client, factory, flavour):
    ada, bob = factory.user(username="ada"), factory.user(username="bob")
    factory.post(ada, "Ada on Python", tags="python")
    factory.post(bob, "Bob on Python", tags="python")
    factory.post(bob, "Bob on Go", tags="go")

    tagged = _parse(client, f"/tags/Python/{flavour}.xml", flavour)
    assert [e.title for e in tagged.entries] == ["Bob on Python", "Ada on Python"]
    assert tagged.feed.title == "#python · Inkstand"
    assert tagged.feed.link == "http://inkstand.test/tags/python"

    by_bob = _parse(client, f"/authors/BOB/{flavour}.xml", flavour)
    assert [e.title for e in by_bob.entries] == ["Bob on Go", "Bob on Python"]
    assert by_bob.feed.link == "http://inkstand.test/authors/bob"


@pytest.mark.parametrize("url", ["/tags/nothing/rss.xml", "/authors/nobody/atom.xml", "/x.xml"])
def test_a_feed_of_nothing_known_is_not_found(client, url):
    assert client.get(url).status_code == 404


def test_an_empty_site_has_a_valid_empty_feed(client):
    feed = _parse(client, "/atom.xml", "atom")
    assert feed.entries == []


def test_feed_size_is_a_setting(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "FEED_ITEMS", 2)
    bulk_posts(factory.user(username="ada"), 5)
    assert [e.title for e in _parse(client, "/rss.xml", "rss").entries] == ["Bulk 4", "Bulk 3"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_conditional_get_answers_304_until_the_feed_changes(client, factory, flavour):
    ada = factory.user(username="ada")
    factory.post(ada, "First")
    url = f"/{flavour}.xml"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    same = client.get(url, headers={"If-None-Match": etag})
    assert same.status_code == 304
    assert same.get_data() == b""
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    factory.post(ada, "Second", publish_at=utcnow() + timedelta(seconds=1))
    changed = client.get(url, headers={"If-None-Match": etag})
    # The new post is scheduled a second ahead: the feed has not changed yet.
    assert changed.status_code == 304


def test_a_new_post_changes_the_etag_and_last_modified(client, factory):
    ada = factory.user(username="ada")
    factory.post(ada, "First", publish_at=utcnow() - timedelta(hours=2))
    first = client.get("/rss.xml")
    factory.post(ada, "Second", publish_at=utcnow() - timedelta(hours=1))
    second = client.get("/rss.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.last_modified >= first.last_modified  # to the second: both made now


def test_pages_name_their_feeds(client, factory):
    factory.post(factory.user(username="ada"), "Tagged", tags="python")
    alternates = re.compile(r'<link rel="alternate" type="application/(rss|atom)\+xml" '
                            r'title="[^"]+" href="([^"]+)">')  # fmt: skip
    home = set(alternates.findall(client.get("/").get_data(as_text=True)))
    assert home == {("rss", "http://inkstand.test/rss.xml"),
                    ("atom", "http://inkstand.test/atom.xml")}  # fmt: skip
    tag = set(alternates.findall(client.get("/tags/python").get_data(as_text=True)))
    assert ("atom", "http://inkstand.test/tags/python/atom.xml") in tag
    author = set(alternates.findall(client.get("/authors/ada").get_data(as_text=True)))
    assert ("rss", "http://inkstand.test/authors/ada/rss.xml") in author


# Each feed: the site settings (its title), then the posts with their authors; a tag's or
# an author's feed first finds the tag or the author.
FEED_BUDGETS = {"/rss.xml": 2, "/tags/python/atom.xml": 3, "/authors/ada/rss.xml": 4}


@pytest.mark.parametrize("url", sorted(FEED_BUDGETS))
def test_query_count_is_fixed_whatever_the_number_of_posts(client, factory, queries, url):
    author = factory.user(username="ada")
    post = factory.post(author, "Tagged", tags="python, web")
    queries.clear()
    assert client.get(url).status_code == 200
    small = len(queries)
    bulk_posts(author, 100, post.tags[0].id)
    queries.clear()
    assert client.get(url).status_code == 200
    assert small == len(queries) == FEED_BUDGETS[url]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_characters_xml_cannot_carry_are_left_out_not_a_500(client, factory, flavour):
    body = "A bell\x07 and a form\x0cfeed in the text."
    factory.post(factory.user(username="ada"), "Controls", body=body, excerpt=body)
    feed = _parse(client, f"/{flavour}.xml", flavour)
    assert "A bell and a formfeed" in feed.entries[0].content[0].value
