"""Reading comments: a post's thread and the moderation queue, each one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments import permissions
from inkstand.comments.models import Comment, CommentStatus
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden
from inkstand.pagination import Cursor, Page, keyset_page


@dataclass
class Node:
    """A comment as one viewer sees it, with the replies she sees."""

    comment: Comment
    shown: bool  # False: a placeholder holding the thread of a deleted or hidden comment
    can_reply: bool = False
    can_edit: bool = False
    can_delete: bool = False
    replies: list[Node] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.comment.status != CommentStatus.APPROVED


@dataclass(frozen=True)
class Thread:
    nodes: list[Node]
    is_open: bool  # the post takes comments
    can_comment: bool  # and this viewer may write one
    can_moderate: bool


def _node(viewer: User | None, comment: Comment, post: Post, policy: str, now: datetime) -> Node:
    if comment.deleted or not permissions.can_see(viewer, comment, post):
        return Node(comment, shown=False)
    return Node(
        comment,
        shown=True,
        can_reply=permissions.can_reply(viewer, comment, post, policy, now),
        can_edit=permissions.can_edit(viewer, comment, now),
        can_delete=permissions.can_delete(viewer, comment, post),
    )


def _pruned(nodes: list[Node]) -> list[Node]:
    """Drop placeholders that hold no reply anyone sees."""
    kept = []
    for node in nodes:
        node.replies = _pruned(node.replies)
        if node.shown or node.replies:
            kept.append(node)
    return kept


def thread(
    session: DbSession, viewer: User | None, post: Post, now: datetime, policy: str
) -> Thread:
    """The comments on ``post`` that ``viewer`` sees, as a tree, oldest first: one query."""
    rows = session.scalars(
        select(Comment)
        .where(Comment.post_id == post.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )
    nodes: dict[int, Node] = {}
    top: list[Node] = []
    for comment in rows:
        node = nodes[comment.id] = _node(viewer, comment, post, policy, now)
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        (parent.replies if parent is not None else top).append(node)
    return Thread(
        nodes=_pruned(top),
        is_open=permissions.is_open(post, policy, now),
        can_comment=permissions.can_comment(viewer, post, policy, now),
        can_moderate=permissions.can_moderate(viewer, post),
    )


QUEUE_STATUSES = (CommentStatus.PENDING.value, CommentStatus.SPAM.value)


def queue_status(raw: str | None) -> str:
    """The queue a request names: spam, or else the comments awaiting approval."""
    return raw if raw in QUEUE_STATUSES else CommentStatus.PENDING.value


def queue(
    session: DbSession, actor: User | None, status: str, size: int,
    before: str | None = None, after: str | None = None,
) -> Page[Comment]:  # fmt: skip
    """The comments in one queue (see ``queue_status``) that ``actor`` moderates,
    newest first, with their posts and writers. Raises Forbidden or BadCursor."""
    if actor is None or not permissions.can_open_queue(actor):
        raise Forbidden("Only authors, editors and admins moderate comments.")
    stmt = (
        select(Comment)
        .where(Comment.status == status, Comment.deleted.is_(False))
        .options(joinedload(Comment.author), joinedload(Comment.post))
    )
    if not permissions.can_moderate_all(actor):
        stmt = stmt.where(Comment.post_id.in_(select(Post.id).where(Post.author_id == actor.id)))
    return keyset_page(
        session, stmt, Comment.created_at, Comment.id,
        lambda c: Cursor(c.created_at, c.id), size,
        before=Cursor.decode(before), after=Cursor.decode(after),
    )  # fmt: skip
