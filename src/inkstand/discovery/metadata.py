"""Structured data about a post for search engines and social sites (JSON-LD)."""

from __future__ import annotations

from typing import Any

from inkstand.blog.models import Post
from inkstand.discovery.reading import changed_at


def blog_posting(
    post: Post, *, url: str, author_url: str, site_title: str, site_url: str
) -> dict[str, Any]:
    """A schema.org BlogPosting of a listed post, ready for JSON. The template dumps
    it with ``tojson``, which escapes ``<``, ``>`` and ``&``, so no text can end the
    script element it sits in."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": post.title,
        "description": post.excerpt,
        "author": {"@type": "Person", "name": post.author.name, "url": author_url},
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
