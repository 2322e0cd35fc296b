"""Revisions: every save of a post, listed, compared and restored."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload

from inkstand.accounts.models import User
from inkstand.blog.models import Post, Revision
from inkstand.blog.services.posts import PostChanges, change_post, editable, get_for_edit
from inkstand.db import DbSession
from inkstand.exceptions import NotFound


def revisions(
    session: DbSession, actor: User | None, post_id: int, now: datetime
) -> tuple[Post, list[Revision]]:
    """A post and its revisions, newest first. Raises NotFound or Forbidden."""
    post = get_for_edit(session, actor, post_id, now)
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
    session: DbSession, actor: User | None, post_id: int, first: int, second: int, now: datetime
) -> tuple[Post, Revision | None, Revision | None]:
    """A post and two of its revisions (None for a number it has not got).
    Raises NotFound or Forbidden for the post."""
    post = get_for_edit(session, actor, post_id, now)
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
    post = get_for_edit(session, actor, post_id, now)
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
    kind: str  # "same", "added", "removed" or "hunk" (a gap: lines left out before it)
    text: str


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)")


class Version(Protocol):
    """What a diff compares: a revision, or a post's fields (``Snapshot``)."""

    @property
    def title(self) -> str: ...

    @property
    def tags_text(self) -> str: ...

    @property
    def body_source(self) -> str: ...


@dataclass(frozen=True)
class Snapshot:
    title: str
    tags_text: str
    body_source: str


def diff_with_saved(post: Post, mine: PostChanges) -> list[DiffLine]:
    """A line diff from the post as saved to ``mine``, the changes a refused save
    (a Conflict) would have made to it: what the other save wrote is "removed"."""
    saved = editable(post)
    wanted = mine.applied_to(saved)
    return diff_revisions(
        Snapshot(saved.title, ", ".join(saved.tags), saved.body),
        Snapshot(wanted.title, ", ".join(t.strip() for t in wanted.tags if t.strip()),
                 wanted.body),
    )  # fmt: skip


def _lines(out: Iterable[str]) -> list[DiffLine]:
    """unified_diff's lines as DiffLines: its file headers dropped, and each hunk
    header (``@@ -1,4 +1,5 @@``) a gap marker naming the line it starts at."""
    kinds = {"+": "added", "-": "removed", " ": "same"}
    found = []
    for line in out:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            start = _HUNK.match(line)
            if start and int(start[1]) > 1:  # lines were left out before this one
                found.append(DiffLine("hunk", f"line {start[1]}"))
        else:
            found.append(DiffLine(kinds[line[0]], line[1:]))
    return found


def diff_revisions(old: Version, new: Version) -> list[DiffLine]:
    """A line diff of two versions' title, tags and body."""

    def lines(rev: Version) -> list[str]:
        return [f"# {rev.title}", f"Tags: {rev.tags_text}", "", *rev.body_source.splitlines()]

    return _lines(difflib.unified_diff(lines(old), lines(new), lineterm="", n=3))


def diff_bodies(old: str, new: str) -> list[DiffLine]:
    """A line diff of two bodies, three lines of context around each change."""
    return _lines(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3))


@dataclass(frozen=True)
class FieldChange:
    """One field of a post in two revisions, as text a writer reads."""

    name: str
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


_NOT_RECORDED = "(not recorded)"  # a revision saved before the field was kept


def _state(revision: Revision) -> str:
    return revision.status.capitalize() if revision.status else _NOT_RECORDED


def _time(revision: Revision) -> str:
    if revision.published_at is None:
        return "(none)" if revision.status else _NOT_RECORDED
    return f"{revision.published_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _comments(revision: Revision) -> str:
    if revision.comments_closed is None:
        return _NOT_RECORDED
    return "Closed" if revision.comments_closed else "Open"


def compare_fields(old: Revision, new: Revision) -> list[FieldChange]:
    """Every field but the body, in the order of the edit form."""
    return [
        FieldChange("Title", old.title, new.title),
        FieldChange("Tags", old.tags_text, new.tags_text),
        FieldChange("Excerpt", old.excerpt_source or "(the first paragraph)",
                    new.excerpt_source or "(the first paragraph)"),
        FieldChange("State", _state(old), _state(new)),
        FieldChange("Publication time", _time(old), _time(new)),
        FieldChange("Address", old.slug or _NOT_RECORDED, new.slug or _NOT_RECORDED),
        FieldChange("Comments", _comments(old), _comments(new)),
        FieldChange("Title for search engines", old.meta_title or "(the title)",
                    new.meta_title or "(the title)"),
        FieldChange("Description for search engines", old.meta_description or "(the excerpt)",
                    new.meta_description or "(the excerpt)"),
        FieldChange("Canonical URL", old.canonical_url or "(this post's own address)",
                    new.canonical_url or "(this post's own address)"),
        FieldChange("Featured", _yes(old.featured), _yes(new.featured)),
        FieldChange("Co-authors", old.coauthors_text or "(none)", new.coauthors_text or "(none)"),
    ]  # fmt: skip


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"
