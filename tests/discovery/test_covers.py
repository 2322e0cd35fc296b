"""A post's cover where others read it: Open Graph and Twitter cards (a large image,
by absolute URL, the widest copy up to 1600 pixels), JSON-LD, and the feeds
(media:content and the image atop the content)."""

from __future__ import annotations

import html
import json
import re

import feedparser
import pytest

from inkstand import runtime
from inkstand.discovery.metadata import SHARE_WIDTH
from inkstand.extensions import db
from inkstand.media import context, services
from inkstand.media.jobs import make_variants
from tests.helpers import change, image_bytes
from tests.media import folder

storage = folder.storage  # the media folder, emptied after each test
ORIGIN = "http://inkstand.test"


def _meta(page: str) -> dict[str, str]:
    """Each <meta name|property> of a page, unescaped."""
    pairs = re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">', page)
    return {key: html.unescape(value) for key, value in pairs}


def _json_ld(page: str) -> list[object]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


def covered(factory, width: int, title: str = "Covered"):
    author = factory.user()
    image = services.upload(
        db.session, context.storage(), author, image_bytes("JPEG", (width, width // 2)),
        context.limits(), make_variants,
    )  # fmt: skip
    post = factory.post(author, title)
    return change(post, author, cover_id=image.id), image


@pytest.mark.parametrize(
    ("width", "shared"), [(3000, 1600), (1400, 1400), (1600, 1600), (400, None)]
)
def test_a_cover_is_the_large_card_of_its_post(client, factory, storage, width, shared):
    post, image = covered(factory, width)
    meta = _meta(client.get(f"/posts/{post.slug}").get_data(as_text=True))
    name = image.variant_name(shared) if shared and shared < width else image.name
    assert meta["og:image"] == f"{ORIGIN}/media/{name}"
    assert meta["twitter:image"] == meta["og:image"]
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:image:type"] == "image/jpeg"
    if shared:
        assert meta["og:image:width"] == str(min(width, SHARE_WIDTH))
    else:  # an image too small for copies: its width is not on the post
        assert "og:image:width" not in meta
    assert client.get(meta["og:image"].removeprefix(ORIGIN)).status_code == 200
    (posting,) = _json_ld(client.get(f"/posts/{post.slug}").get_data(as_text=True))
    assert posting["image"] == meta["og:image"]


def test_a_post_without_a_cover_has_a_small_card_and_no_image(client, factory):
    post = factory.post(factory.user(), "Bare")
    meta = _meta(client.get(f"/posts/{post.slug}").get_data(as_text=True))
    assert meta["twitter:card"] == "summary"
    assert "og:image" not in meta
    (posting,) = _json_ld(client.get(f"/posts/{post.slug}").get_data(as_text=True))
    assert "image" not in posting


@pytest.mark.parametrize("flavour", ["rss", "atom"])
def test_feeds_carry_the_cover(client, factory, storage, flavour):
    post, image = covered(factory, 2000)
    factory.post(factory.user(), "No cover")
    url = f"{ORIGIN}/media/{image.variant_name(1600)}"
    for feed in (f"/{flavour}.xml", f"/authors/{post.author.username}/{flavour}.xml"):
        parsed = feedparser.parse(client.get(feed).get_data())
        assert not parsed.bozo, parsed.get("bozo_exception")
        entries = {e.title: e for e in parsed.entries}
        with_cover = entries["Covered"]
        assert with_cover.media_content == [
            {"url": url, "medium": "image", "type": "image/jpeg", "width": "1600"}
        ]
        assert with_cover.content[0].value.startswith(f'<p><img alt="" src="{url}" /></p>')
        if "No cover" in entries:
            assert "media_content" not in entries["No cover"]
            assert "<img" not in entries["No cover"].content[0].value


def test_feeds_and_cards_cost_no_query_for_covers(client, factory, storage, queries):
    counts = []
    for n in range(2):
        covered(factory, 1000, f"Covered {n}")
        runtime.get()  # the app's collaborators exist before counting
        queries.clear()
        client.get("/rss.xml")
        counts.append(len(queries))
    assert counts[0] == counts[1]
