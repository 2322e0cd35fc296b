"""Revisions: every save of a post, listed, compared and restored."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from inkstand.accounts.models import User
from inkstand.blog.models import Post, Revision
from inkstand.blog.services.posts import PostChanges, change_post, get_for_edit
from inkstand.db import DbSession
from inkstand.exceptions import NotFound


def revisions(session: DbSession, actor: User | None, post_id: int) -> tuple[Post, list[Revision]]:
    """A post and its revisions, newest first. Raises NotFound or Forbidden."""
    post = get_for_edit(session, actor, post_id)
    rows = session.scalars(
        select(Revision)
        .where(Revision.post_id == post.id)
        .options(selectinload(Revision.editor), defer(Revision.body_source))
        .order_by(Revision.number.desc())
    )
    return post, list(rows)


def revision(session: DbSession, post: Post, number: int) -> Revision:
    found = session.scalar(
        select(Revision).where(Revision.post_id == post.id, Revision.number == number)
    )
    if found is None:
        raise NotFound("No such revision.")
    return found


def compare(
    session: DbSession, actor: User | None, post_id: int, first: int, second: int
) -> tuple[Post, Revision | None, Revision | None]:
    """A post and two of its revisions (None for a number it has not got).
    Raises NotFound or Forbidden for the post."""
    post = get_for_edit(session, actor, post_id)
    found = {
        r.number: r
        for r in session.scalars(
            select(Revision).where(
                Revision.post_id == post.id, Revision.number.in_((first, second))
            )
        )
    }
    return post, found.get(first), found.get(second)


def restore_revision(
    session: DbSession, actor: User | None, post_id: int, number: int, now: datetime,
    body_limit: int,
) -> Post:  # fmt: skip
    """Make an old revision's title, body, excerpt and tags current again, as a new
    revision; the state, address and publication time stay. Raises NotFound, Forbidden."""
    post = get_for_edit(session, actor, post_id)
    old = revision(session, post, number)
    changes = PostChanges(
        title=old.title,
        body=old.body_source,
        excerpt=old.excerpt_source,
        tags=old.tags_text.split(","),
    )
    return change_post(session, actor, post.id, changes, now, body_limit)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed" or "hunk"
    text: str


def diff_revisions(old: Revision, new: Revision) -> list[DiffLine]:
    """A line diff of two revisions' title, tags and body."""

    def lines(rev: Revision) -> list[str]:
        return [f"# {rev.title}", f"Tags: {rev.tags_text}", "", *rev.body_source.splitlines()]

    kinds = {"+": "added", "-": "removed", " ": "same", "@": "hunk"}
    out = difflib.unified_diff(lines(old), lines(new), lineterm="", n=3)
    return [
        DiffLine(kinds[line[0]], line[1:]) for line in out if not line.startswith(("---", "+++"))
    ]
