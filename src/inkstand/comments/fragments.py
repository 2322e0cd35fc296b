"""Comments drawn once and reused, for every reader.

What a comment shows everyone who sees it (its writer's name, avatar and link, its
date, "edited", its status badge, its text) is kept in the process's store of drawn
fragments (``blog/fragments.py``), keyed by every value it shows: an edit, a
moderation, a renamed writer or a new avatar makes a new key, so nothing stale is
ever drawn. What depends on the viewer (Reply, Edit, Delete with its CSRF token,
Moderate) is never kept: ``comment_article`` draws it around the kept body for each
viewer on every request.
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import current_app, request
from markupsafe import Markup

from inkstand.blog import fragments
from inkstand.comments.models import Comment


def body_key(comment: Comment) -> tuple[Hashable, ...]:
    """Everything the ``comment_body`` macro shows of ``comment`` (and where links start)."""
    author = comment.author
    writer = None if author is None else (author.username, author.name, author.avatar_name)
    return (
        "comment", request.script_root, comment.id, comment.status, comment.created_at,
        comment.edited_at, comment.body_html, writer,
    )  # fmt: skip


def body(comment: Comment) -> Markup:
    """The HTML of what every reader sees of ``comment`` (the ``comment_body`` macro),
    drawn once."""

    def draw() -> Markup:
        macros = current_app.jinja_env.get_template("comments/_macros.html").module
        # Markup: the macro's template escapes everything it writes.
        html: Markup = macros.comment_body(comment)  # type: ignore[attr-defined]
        return html

    return fragments.kept(body_key(comment), draw)
