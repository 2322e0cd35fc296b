"""Parts of pages rendered once and reused, for logged-in readers too.

A post's summary in lists (title, bylines, date, counts, excerpt, tags, cover) is
the same for every reader, and so are what a comment shows (comments/fragments.py)
and a post's related posts (discovery/views.py), so each process keeps the HTML of
the fragments it has drawn, keyed by every value the fragment shows. Any change that
shows (an edit, which raises the post's version; a renamed author; a new comment or
favourite; other tags) makes a new key, so a fragment can never be stale, and nothing
has to be told to retire it: old entries fall out of the bounded store as new ones
come in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app, request
from markupsafe import Markup

from inkstand.blog.models import Post

KEPT = 4000  # fragments per process (summaries, comments, related posts): about 1 KB each


class Fragments:
    """A bounded store of rendered HTML, the least recently used leaving first."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._kept: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Markup | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: Hashable, html: Markup) -> None:
        with self._lock:
            self._kept[key] = html
            self._kept.move_to_end(key)
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


def init_app(app: Flask) -> None:
    app.extensions["inkstand.fragments"] = Fragments(KEPT)
    app.add_template_global(summary, "post_summary_html")


def kept(key: Hashable, draw: Callable[[], Markup]) -> Markup:
    """The HTML kept under ``key``, drawn by ``draw`` the first time. ``key`` holds
    every value the HTML shows, and the kind of fragment first."""
    fragments: Fragments = current_app.extensions["inkstand.fragments"]
    html = fragments.get(key)
    if html is None:
        html = draw()
        fragments.put(key, html)
    return html


def summary_key(post: Post) -> tuple[Hashable, ...]:
    """Everything the summary macro shows of ``post`` (and where links start)."""
    return (
        "summary", request.script_root, post.id, post.version, post.slug, post.title, post.excerpt,
        post.cover_name, post.cover_srcset, post.cover_alt, post.published_at, post.reading_minutes,
        post.comment_count, post.favourite_count, post.tag_names,
        tuple((person.username, person.name) for person in post.authors),
        post.author.avatar_name,
    )  # fmt: skip


def summary(post: Post) -> Markup:
    """The HTML of ``post``'s summary in lists (the ``post_summary`` macro), drawn once."""

    def draw() -> Markup:
        macros = current_app.jinja_env.get_template("_macros.html").module
        # Markup: the macro's template escapes everything it writes.
        html: Markup = macros.post_summary(post)  # type: ignore[attr-defined]
        return html

    return kept(summary_key(post), draw)
