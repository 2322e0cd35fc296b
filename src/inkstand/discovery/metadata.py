"""Structured data about a post for search engines and social sites (JSON-LD), and
the copy of its cover they are given."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inkstand.blog.models import Post
from inkstand.discovery.reading import changed_at

#: The widest copy of a cover shared (Open Graph asks for 1200 pixels or more).
SHARE_WIDTH = 1600
_CANDIDATE = re.compile(r"^/media/(\S+) ([0-9]+)w$")
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


@dataclass(frozen=True)
class Picture:
    """A stored image file to share: its name (under /media/), width if known, type."""

    name: str
    width: int | None

    @property
    def content_type(self) -> str:
        return _TYPES.get(self.name.rsplit(".", 1)[-1], "image/jpeg")


def cover_picture(post: Post) -> Picture | None:
    """The copy of ``post``'s cover to share: the widest of its ``srcset`` up to
    SHARE_WIDTH (the smallest when all are wider), or the cover itself when it has no
    copies; None without a cover. Read from the post's row: no query."""
    if not post.cover_name:
        return None
    found = []
    for candidate in post.cover_srcset.split(","):
        match = _CANDIDATE.match(candidate.strip())
        if match:
            found.append(Picture(match[1], int(match[2])))
    if not found:
        return Picture(post.cover_name, None)
    fitting = [p for p in found if p.width is not None and p.width <= SHARE_WIDTH]
    return max(fitting, key=lambda p: p.width or 0) if fitting else found[0]


def blog_posting(
    post: Post, *, url: str, author_urls: list[str], site_title: str, site_url: str,
    image_url: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A schema.org BlogPosting of a listed post, ready for JSON: every author (one
    object, or a list for several, in ``post.authors`` order, with ``author_urls``), and
    as its main page the post's canonical address when it was first published elsewhere.
    The template dumps it with ``tojson``, which escapes ``<``, ``>`` and ``&``, so no
    text can end the script element it sits in."""
    people = [
        {"@type": "Person", "name": person.name, "url": link}
        for person, link in zip(post.authors, author_urls, strict=True)
    ]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "mainEntityOfPage": {"@type": "WebPage", "@id": post.canonical_url or url},
        "url": url,
        "headline": post.meta_title or post.title,
        "description": post.meta_description or post.excerpt,
        "author": people[0] if len(people) == 1 else people,
        "publisher": {"@type": "Organization", "name": site_title, "url": site_url},
        "wordCount": len(post.body_source.split()),
        "timeRequired": f"PT{post.reading_minutes}M",
    }
    if post.published_at is not None:
        data["datePublished"] = post.published_at.isoformat(timespec="seconds")
        data["dateModified"] = changed_at(post).isoformat(timespec="seconds")
    if post.tag_list:
        data["keywords"] = post.tag_list
    if image_url:
        data["image"] = _image(image_url, post)
    return data


def _image(url: str, post: Post) -> str | dict[str, str]:
    """The cover as JSON-LD gives it: its address alone, or an ImageObject with its
    description (the alt text) and caption when the writer gave them."""
    if not post.cover_alt and not post.cover_caption:
        return url
    shown = {"@type": "ImageObject", "url": url}
    if post.cover_alt:
        shown["description"] = post.cover_alt
    if post.cover_caption:
        shown["caption"] = post.cover_caption
    return shown
