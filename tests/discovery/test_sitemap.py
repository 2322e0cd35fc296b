"""sitemap.xml (and its index past a file's size) and robots.txt."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree

from inkstand.db import utcnow
from tests.helpers import bulk_posts, count_queries

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITE = "http://inkstand.test"


def _xml(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    return ElementTree.fromstring(response.get_data())


def _urls(client, url: str) -> dict[str, str | None]:
    """Each location of a sitemap file, with its lastmod."""
    root = _xml(client, url)
    assert root.tag == f"{NS}urlset"
    return {
        entry.findtext(f"{NS}loc"): entry.findtext(f"{NS}lastmod")
        for entry in root.iter(f"{NS}url")
    }


def _site(factory):
    """Listed posts by ada (tags python, web) and bob (go); the rest are not listed."""
    ada, bob = factory.user(username="ada"), factory.user(username="bob")
    factory.user(username="rita", role="reader")
    first = factory.post(ada, "First", tags="python, web")
    second = factory.post(bob, "Second", tags="go")
    factory.post(ada, "Draft", status="draft", tags="drafty")
    factory.post(bob, "Later", publish_at=utcnow() + timedelta(days=1), tags="future")
    factory.post(bob, "Archived", status="archived", tags="old")
    return {
        f"{SITE}/",
        f"{SITE}/archive",
        f"{SITE}/posts/{first.slug}",
        f"{SITE}/posts/{second.slug}",
        f"{SITE}/tags/python",
        f"{SITE}/tags/web",
        f"{SITE}/tags/go",
        f"{SITE}/authors/ada",
        f"{SITE}/authors/bob",
    }


def test_sitemap_lists_listed_posts_their_tags_and_authors(client, factory):
    expected = _site(factory)
    urls = _urls(client, "/sitemap.xml")
    assert set(urls) == expected
    for loc, lastmod in urls.items():
        if "/posts/" in loc or "/tags/" in loc or "/authors/" in loc:
            assert lastmod is not None, loc
            assert lastmod.endswith("+00:00")


def test_lastmod_follows_the_last_change_of_a_post(client, factory):
    ada = factory.user(username="ada")
    long_ago = utcnow() - timedelta(days=400)
    post = factory.post(ada, "Old news", publish_at=long_ago, tags="history")
    urls = _urls(client, "/sitemap.xml")
    # Written today, dated a year ago: the page changed today.
    assert urls[f"{SITE}/posts/{post.slug}"][:10] == f"{post.updated_at:%Y-%m-%d}"
    assert urls[f"{SITE}/tags/history"] == urls[f"{SITE}/posts/{post.slug}"]


def test_past_the_size_of_a_file_the_sitemap_is_an_index(app, client, factory, monkeypatch):
    expected = _site(factory)
    monkeypatch.setitem(app.config, "SITEMAP_URLS_PER_FILE", 2)
    root = _xml(client, "/sitemap.xml")
    assert root.tag == f"{NS}sitemapindex"
    files = [loc.text for loc in root.iter(f"{NS}loc")]
    assert all(url.startswith(f"{SITE}/sitemaps/") for url in files)
    found: set[str] = set()
    for url in files:
        parts = urlsplit(url)
        urls = _urls(client, f"{parts.path}?{parts.query}" if parts.query else parts.path)
        assert 1 <= len(urls) <= 2, url
        assert not found & set(urls), "a URL in two files"
        found |= set(urls)
    assert found == expected
    # Two posts, three tags, two authors: one file each of 2, 2+1, 2; and the pages.
    assert len(files) == 1 + 1 + 2 + 1


@pytest.mark.parametrize("url", ["/sitemaps/posts.xml?after=x", "/sitemaps/users.xml"])
def test_a_sitemap_file_that_cannot_exist_is_not_found(client, url):
    assert client.get(url).status_code == 404


def test_robots_txt_names_the_sitemap_by_its_absolute_url(client):
    response = client.get("/robots.txt")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: http://inkstand.test/sitemap.xml" in lines
    assert "User-agent: *" in lines


# The sitemap counts posts, tags and authors in one query, then reads the three lists
# (or, past a file's size, where each file starts): four queries whatever the size.
@pytest.mark.parametrize("per_file", [50_000, 10])
def test_sitemap_query_count_is_fixed(app, client, factory, queries, monkeypatch, per_file):
    monkeypatch.setitem(app.config, "SITEMAP_URLS_PER_FILE", per_file)
    author = factory.user(username="ada")
    factory.post(author, "Tagged", tags="python")
    small = count_queries(client, queries, "/sitemap.xml")
    bulk_posts(factory.user(), 100)
    assert small == count_queries(client, queries, "/sitemap.xml") == 4
    assert count_queries(client, queries, "/sitemaps/posts.xml?after=3") == 1
