"""Bulk actions over chosen posts of the writers' list: each post goes through the one
service of its action, with its own permission check, and a post the writer may not
touch is refused and named while the others are done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from inkstand.accounts.models import User
from inkstand.blog import permissions
from inkstand.blog.models import Post, Status
from inkstand.blog.services import posts
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import DomainError, Forbidden, Invalid

ACTIONS = {
    "publish": "Publish",
    "unpublish": "Unpublish (back to draft)",
    "archive": "Archive",
    "delete": "Move to the trash",
}
MAX_POSTS = 100  # one bulk action at most: the longest page of the list, and more


@dataclass(frozen=True)
class Refusal:
    post_id: int
    title: str  # "" for a post that does not exist
    reason: str


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)  # the titles of the posts acted on
    refused: list[Refusal] = field(default_factory=list)


def _ids(post_ids: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(i for i in post_ids if 0 < i <= ID_MAX))
    if not wanted:
        raise Invalid.field("ids", "Choose at least one post.")
    if len(wanted) > MAX_POSTS:
        raise Invalid.field("ids", f"Choose at most {MAX_POSTS} posts at a time.")
    return wanted


def _check(action: str) -> None:
    if action not in ACTIONS:
        raise Invalid.field("action", f"Choose one of {', '.join(ACTIONS)}.")


def may(actor: User | None, action: str, post: Post) -> bool:
    """Whether ``actor`` may do ``action`` to ``post`` (delete has its own rule)."""
    if action == "delete":
        return permissions.can_delete(actor, post)
    return permissions.can_edit(actor, post)


def chosen(
    session: DbSession, actor: User | None, action: str, post_ids: Sequence[int]
) -> tuple[list[Post], list[Post]]:
    """The chosen posts that exist, split into those ``actor`` may act on and those she
    may not, in list order, with their authors: one query. For the confirmation page.
    Raises Forbidden (not a writer) or Invalid (no posts, too many, unknown action)."""
    if actor is None or not permissions.can_create(actor):
        raise Forbidden("Your account may not write posts.")
    _check(action)
    wanted = _ids(post_ids)
    stmt = (
        select(Post)
        .where(Post.id.in_(wanted))
        .options(joinedload(Post.author), joinedload(Post.author_links))
        .order_by(Post.id.desc())
    )
    found = list(session.scalars(stmt).unique())
    allowed = [p for p in found if may(actor, action, p)]
    return allowed, [p for p in found if not may(actor, action, p)]


def apply(
    session: DbSession, actor: User | None, action: str, post_ids: Sequence[int],
    now: datetime, body_limit: int,
) -> Outcome:  # fmt: skip
    """Do ``action`` to each chosen post through its own service (publish_post,
    change_post, delete_post), each its own unit of work, so that one refusal does not
    undo the others. Returns what was done and what was refused, and why. Raises
    Forbidden (not a writer) or Invalid (no posts, too many, unknown action)."""
    if actor is None or not permissions.can_create(actor):
        raise Forbidden("Your account may not write posts.")
    _check(action)
    outcome = Outcome()
    for post_id in _ids(post_ids):
        post = posts.find(session, post_id, with_tags=False)
        title = post.title if post is not None else ""
        try:
            _one(session, actor, action, post_id, now, body_limit)
        except DomainError as error:  # refused, not found, or its fields no longer valid
            outcome.refused.append(Refusal(post_id, title, error.message))
        else:
            outcome.done.append(title)
    return outcome


def _one(
    session: DbSession, actor: User, action: str, post_id: int, now: datetime, body_limit: int
) -> None:
    if action == "delete":
        posts.delete_post(session, actor, post_id, now)
    elif action == "publish":
        posts.publish_post(session, actor, post_id, None, now, body_limit)
    else:
        state = Status.DRAFT if action == "unpublish" else Status.ARCHIVED
        changes = posts.PostChanges(status=state.value)
        posts.change_post(session, actor, post_id, changes, now, body_limit)
