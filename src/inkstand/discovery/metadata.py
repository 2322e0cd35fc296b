"""Structured data about a post for search engines and social sites (JSON-LD)."""

from __future__ import annotations

from typing import Any

from inkstand.blog.models import Post
from inkstand.discovery.reading import changed_at


def blog_posting(
    post: Post, *, url: str, author_urls: list[str], site_title: str, site_url: str
) -> dict[str, Any]:
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
    return data
