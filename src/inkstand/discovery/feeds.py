"""RSS 2.0 and Atom documents of a list of posts, built by feedgen.

Pure functions of the posts and of links already made absolute by the view: no
request, no database. Each entry carries the post's full body as the sanitised
HTML rendered on save, escaped into the XML by lxml (never pasted in raw), and
its cover as a media:content (Media RSS, in both flavours) and as an image at the
top of the content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from markupsafe import Markup

from inkstand.blog.models import Post
from inkstand.discovery.metadata import cover_picture
from inkstand.discovery.reading import changed_at

# Characters XML 1.0 cannot carry at all, even escaped; lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class FeedInfo:
    """What the feed is: its title and description, the page it follows, its own URL."""

    title: str
    description: str
    page_url: str
    feed_url: str
    language: str = "en"


@dataclass(frozen=True)
class Links:
    """Absolute URLs of the pages an entry points to."""

    post: Callable[[str], str]  # slug -> URL
    author: Callable[[str], str]  # username -> URL
    tag: Callable[[str], str]  # name -> URL
    media: Callable[[str], str]  # a stored file's name -> URL


def rss(info: FeedInfo, posts: Sequence[Post], links: Links, empty_since: datetime) -> bytes:
    """The RSS 2.0 document: excerpts as descriptions, bodies as content:encoded."""
    return _build(info, posts, links, empty_since).rss_str(pretty=True)


def atom(info: FeedInfo, posts: Sequence[Post], links: Links, empty_since: datetime) -> bytes:
    """The Atom 1.0 document: excerpts as summaries, bodies as HTML content."""
    return _build(info, posts, links, empty_since).atom_str(pretty=True)


def last_modified(posts: Sequence[Post], empty_since: datetime) -> datetime:
    """When the newest change in ``posts`` happened; ``empty_since`` for no posts."""
    return max((changed_at(post) for post in posts), default=empty_since)


def _build(
    info: FeedInfo, posts: Sequence[Post], links: Links, empty_since: datetime
) -> FeedGenerator:
    feed = FeedGenerator()
    feed.load_extension("dc")
    feed.load_extension("media")
    feed.id(info.feed_url)
    feed.title(_text(info.title))
    feed.subtitle(_text(info.description) or _text(info.title))
    feed.link(href=info.feed_url, rel="self")
    feed.link(href=info.page_url, rel="alternate")  # the last link is RSS's <link>
    feed.language(info.language)
    feed.generator("Inkstand")
    # Fixed times, never "now": the same posts give the same bytes, so the ETag holds.
    updated = last_modified(posts, empty_since)
    feed.updated(updated)
    feed.lastBuildDate(updated)
    # feedgen writes entries in reverse order of adding: add the oldest first.
    for post in reversed(posts):
        _add_entry(feed, post, links, info.page_url)
    return feed


def _add_entry(feed: FeedGenerator, post: Post, links: Links, site_url: str) -> None:
    assert post.published_at is not None
    url = links.post(post.slug)
    entry = feed.add_entry()
    entry.id(_entry_id(site_url, post))
    entry.guid(_entry_id(site_url, post), permalink=False)
    entry.title(_text(post.title))
    entry.link(href=url, rel="alternate")
    entry.published(post.published_at)
    entry.updated(changed_at(post))
    for person in post.authors:
        entry.author(name=_text(person.name), uri=links.author(person.username))
        entry.dc.dc_creator(_text(person.name))
    if post.excerpt:
        entry.summary(_text(post.excerpt))
        entry.description(_text(post.excerpt))
    body = _text(post.body_html)
    cover = cover_picture(post)
    if cover is not None:
        address = links.media(cover.name)
        shown = {"url": address, "medium": "image", "type": cover.content_type}
        if cover.width is not None:
            shown["width"] = str(cover.width)
        entry.media.content(shown)
        image = Markup('<img src="%s" alt="%s">') % (address, _text(post.cover_alt))
        if post.cover_caption:
            caption = Markup("<figcaption>%s</figcaption>") % _text(post.cover_caption)
            image = Markup("<figure>%s%s</figure>\n") % (image, caption)
        else:
            image = Markup("<p>%s</p>\n") % image
        body = str(image) + body
    entry.content(body, type="html")
    for name in post.tag_list:
        entry.category(term=name, label=name, scheme=links.tag(name))


def _entry_id(site_url: str, post: Post) -> str:
    """A permanent id (RFC 4151 tag URI): it survives a change of slug or of title,
    so a feed reader never shows an edited post twice."""
    host = urlsplit(site_url).hostname or "localhost"
    return f"tag:{host},{post.created_at:%Y-%m-%d}:posts/{post.id}"


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)
