"""What every page tells search engines and social sites: canonical link, description,
Open Graph and Twitter card tags; a post's JSON-LD BlogPosting. All of it escaped."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import UTC, datetime

import pytest

from tests.helpers import Factory, separate_app

HOSTILE = "</script><script>alert(1)</script>"


def _meta(page: str) -> dict[str, str]:
    """Each <meta name|property> of a page, and its canonical link, unescaped."""
    found = {
        key: htmllib.unescape(value)
        for key, value in re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">', page)
    }
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', page)
    assert len(canonical) <= 1, "two canonical links"
    if canonical:
        found["canonical"] = htmllib.unescape(canonical[0])
    return found


def _json_ld(page: str) -> list[object]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/", "http://inkstand.test/"),
        ("/posts/{slug}", "http://inkstand.test/posts/{slug}"),
        ("/tags/python", "http://inkstand.test/tags/python"),
        ("/authors/ada", "http://inkstand.test/authors/ada"),
        ("/archive", "http://inkstand.test/archive"),
        ("/archive/2026/11", "http://inkstand.test/archive/2026/11"),
        ("/login", "http://inkstand.test/login"),
    ],
)
def test_every_page_has_its_canonical_link_description_and_card(client, factory, url, canonical):
    post = factory.post(
        factory.user(username="ada"), "On SQL", tags="python", excerpt="Joins, gently.",
        publish_at=datetime(2026, 11, 2, tzinfo=UTC),
    )  # fmt: skip
    meta = _meta(client.get(url.format(slug=post.slug)).get_data(as_text=True))
    assert meta["canonical"] == canonical.format(slug=post.slug)
    assert meta["og:url"] == meta["canonical"]
    assert meta["description"]
    assert meta["og:description"] == meta["description"] == meta["twitter:description"]
    assert meta["og:title"] == meta["twitter:title"]
    assert meta["og:site_name"] == "Inkstand"
    assert meta["twitter:card"] == "summary"


def test_a_page_of_a_list_keeps_its_cursor_and_drops_other_arguments(client, factory):
    factory.post(factory.user(username="ada"), "One")
    page = client.get("/?before=1700000000000000-5&utm_source=x").get_data(as_text=True)
    assert _meta(page)["canonical"] == "http://inkstand.test/?before=1700000000000000-5"


def test_a_post_describes_itself_as_an_article_with_json_ld(client, factory):
    ada = factory.user(username="ada")
    post = factory.post(
        ada, "On SQL", tags="python, sql", excerpt="Joins, gently.",
        publish_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    meta = _meta(page)
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "On SQL"
    assert meta["article:published_time"] == "2026-11-02T08:00:00+00:00"
    assert meta["article:author"] == "http://inkstand.test/authors/ada"
    assert re.findall(r'<meta property="article:tag" content="([^"]+)">', page) == [
        "python",
        "sql",
    ]
    (data,) = _json_ld(page)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "On SQL"
    assert data["description"] == "Joins, gently."
    assert data["url"] == data["mainEntityOfPage"]["@id"] == meta["canonical"]
    assert data["datePublished"] == "2026-11-02T08:00:00+00:00"
    assert data["author"] == {"@type": "Person", "name": "ada",
                              "url": "http://inkstand.test/authors/ada"}  # fmt: skip
    assert data["publisher"]["name"] == "Inkstand"
    assert data["keywords"] == ["python", "sql"]


def test_a_hostile_title_cannot_end_the_json_ld_or_an_attribute(client, factory):
    post = factory.post(factory.user(username="ada"), HOSTILE, excerpt='" onload="alert(1)')
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    # The only script elements: the JSON-LD block and the site's own script file.
    assert page.lower().count("<script") == 2
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1]
    assert not set("<>&") & set(block)
    assert "\\u003c/script\\u003e" in block
    (data,) = _json_ld(page)
    assert data["headline"] == HOSTILE
    assert data["description"] == '" onload="alert(1)'
    meta = _meta(page)
    assert meta["og:title"] == HOSTILE
    assert meta["og:description"] == '" onload="alert(1)'
    assert 'content="&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_pages_that_are_not_posts_carry_no_json_ld(client, factory):
    factory.post(factory.user(username="ada"), "One", tags="python")
    for url in ("/", "/tags/python", "/authors/ada", "/archive"):
        assert _json_ld(client.get(url).get_data(as_text=True)) == [], url


def test_an_error_page_names_no_canonical_link(client):
    page = client.get("/posts/nothing-here").get_data(as_text=True)
    assert "canonical" not in page
    assert "og:url" not in page


def test_links_are_on_the_trusted_origin_not_the_requests_host(database_url, tmp_path):
    overrides = {"SITE_URL": "https://blog.example", "SERVER_NAME": None,
                 "TRUSTED_HOSTS": ("localhost", "internal.example")}  # fmt: skip
    with separate_app(tmp_path, database_url, **overrides) as app:
        post = Factory(app).post(Factory(app).user(username="ada"), "One", tags="python")
        client = app.test_client()
        host = {"base_url": "http://internal.example"}
        page = client.get(f"/posts/{post.slug}", **host).get_data(as_text=True)
        assert _meta(page)["canonical"] == f"https://blog.example/posts/{post.slug}"
        assert _json_ld(page)[0]["author"]["url"] == "https://blog.example/authors/ada"
        assert "internal.example" not in page
        feed = client.get("/rss.xml", **host).get_data(as_text=True)
        assert f"<link>https://blog.example/posts/{post.slug}</link>" in feed
        assert "internal.example" not in feed
        sitemap = client.get("/sitemap.xml", **host).get_data(as_text=True)
        assert "<loc>https://blog.example/tags/python</loc>" in sitemap
        assert "internal.example" not in sitemap
        robots = client.get("/robots.txt", **host).get_data(as_text=True)
        assert "Sitemap: https://blog.example/sitemap.xml" in robots
