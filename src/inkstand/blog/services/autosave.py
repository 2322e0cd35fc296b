"""Autosave: what a writer's editor keeps of a post between her real saves, as one
working revision per post and writer (not a revision per keystroke). A real save
(``posts.change_post``) makes a revision and removes the working one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inkstand.accounts.models import User
from inkstand.blog.models import Post, WorkingRevision
from inkstand.blog.services.posts import (
    EXCERPT_MAX,
    TITLE_MAX,
    PostFields,
    editable,
    get_for_edit,
)
from inkstand.db import DbSession
from inkstand.exceptions import Conflict, Invalid

TAGS_TEXT_MAX = 500


@dataclass(frozen=True)
class Draft:
    """The fields an autosave keeps, as typed (a draft may be unfinished)."""

    title: str = ""
    body: str = ""
    excerpt: str = ""
    tags: str = ""  # as typed: names separated by commas


def _checked(draft: Draft, body_limit: int) -> Draft:
    """``draft`` without NUL characters. Raises Invalid for a field too long to keep."""
    limits = {"title": TITLE_MAX, "body": body_limit, "excerpt": EXCERPT_MAX,
              "tags": TAGS_TEXT_MAX}  # fmt: skip
    cleaned = {name: getattr(draft, name).replace("\x00", "") for name in limits}
    errors = {
        name: [f"Use at most {limit:,} characters."]
        for name, limit in limits.items()
        if len(cleaned[name]) > limit
    }
    if errors:
        raise Invalid(errors)
    return Draft(**cleaned)


def autosave(
    session: DbSession, actor: User | None, post_id: int, draft: Draft, based_on: int,
    now: datetime, body_limit: int,
) -> WorkingRevision:  # fmt: skip
    """Keep ``draft`` as ``actor``'s working revision of a post, made to its version
    ``based_on``. Raises NotFound, Forbidden, Invalid, or Conflict when the post was
    saved since that version (autosave stops: the writer must see the other change)."""
    post = get_for_edit(session, actor, post_id, now)
    assert actor is not None  # get_for_edit refused anonymous
    if based_on != post.version:
        raise Conflict(post.version)
    draft = _checked(draft, body_limit)
    working = session.scalar(
        select(WorkingRevision).where(
            WorkingRevision.post_id == post.id, WorkingRevision.editor_id == actor.id
        )
    )
    if working is None:
        working = WorkingRevision(post_id=post.id, editor_id=actor.id)
        session.add(working)
    working.based_on = based_on
    working.title, working.body_source = draft.title, draft.body
    working.excerpt_source, working.tags_text = draft.excerpt, draft.tags
    working.saved_at = now
    try:
        session.commit()
    except IntegrityError as exc:  # the same writer's other tab made the row first
        session.rollback()
        raise Invalid.field("post", "Another autosave happened at the same moment.") from exc
    return working


def working_copy(session: DbSession, actor: User | None, post: Post) -> WorkingRevision | None:
    """``actor``'s autosaved changes to ``post``, if made to its current version (older
    ones were overtaken by a save and are not offered)."""
    if actor is None:
        return None
    return session.scalar(
        select(WorkingRevision).where(
            WorkingRevision.post_id == post.id,
            WorkingRevision.editor_id == actor.id,
            WorkingRevision.based_on == post.version,
        )
    )


def with_working_copy(post: Post, working: WorkingRevision) -> PostFields:
    """The post's editable fields with the autosaved ones in place, for the edit form."""
    tags = tuple(name.strip() for name in working.tags_text.split(",") if name.strip())
    return dataclasses.replace(
        editable(post), title=working.title, body=working.body_source,
        excerpt=working.excerpt_source, tags=tags,
    )  # fmt: skip
