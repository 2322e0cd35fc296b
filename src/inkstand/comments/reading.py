"""Reading comments: a post's thread and the moderation queue, each one query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql.selectable import ScalarSelect

from inkstand.accounts.models import User
from inkstand.blog import permissions as post_permissions
from inkstand.blog.models import Post
from inkstand.comments import permissions
from inkstand.comments.models import Comment, CommentEvent, CommentStatus, EventKind
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, NotFound
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
    last_event: int = 0  # the id of the post's latest comment event, where live updates start

    @property
    def shown(self) -> int:
        """How many comments this viewer sees (her own held ones too), not placeholders."""

        return _count(self.nodes, lambda node: node.shown)

    @property
    def held(self) -> int:
        """How many of those await approval (the viewer's own, or any for a moderator)."""
        return _count(self.nodes, lambda node: node.shown and node.held)


def _count(nodes: list[Node], which: Callable[[Node], bool]) -> int:
    return sum(int(which(node)) + _count(node.replies, which) for node in nodes)


def thread_node(
    viewer: User | None, comment: Comment, post: Post, policy: str, now: datetime
) -> Node:
    """One comment as ``viewer`` sees it on the post page."""
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
    """The comments on ``post`` that ``viewer`` sees, as a tree, oldest first, and
    where its live updates start: one query. (A post without comments reports no
    last event, so its stream replays the few events of comments gone since.)"""
    rows = session.execute(
        select(Comment, _last_event(post.id))
        .where(Comment.post_id == post.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )
    nodes: dict[int, Node] = {}
    top: list[Node] = []
    last_event = 0
    for comment, latest in rows:
        last_event = latest
        node = nodes[comment.id] = thread_node(viewer, comment, post, policy, now)
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        (parent.replies if parent is not None else top).append(node)
    return Thread(
        nodes=_pruned(top),
        is_open=permissions.is_open(post, policy, now),
        can_comment=permissions.can_comment(viewer, post, policy, now),
        can_moderate=permissions.can_moderate(viewer, post),
        last_event=last_event,
    )


def thread_page(
    session: DbSession, viewer: User | None, post: Post, now: datetime, policy: str,
    size: int, after: str | None = None,
) -> Page[Node]:  # fmt: skip
    """One page of the comments on ``post`` that ``viewer`` sees, oldest first by
    (created_at, id), each node without its replies (a reply names its parent, which
    may be on an earlier page): one query, whatever the thread. The rules of
    ``thread``: a deleted or hidden comment is a placeholder while a reply to it, or
    to one of its replies, is seen (threads nest MAX_DEPTH = 2 deep, no deeper).
    Raises BadCursor."""
    reply, reply_to_reply = aliased(Comment), aliased(Comment)
    holds_a_reply = exists().where(
        reply.parent_id == Comment.id,
        or_(
            permissions.seen(viewer, post, reply),
            exists().where(
                reply_to_reply.parent_id == reply.id,
                permissions.seen(viewer, post, reply_to_reply),
            ),
        ),
    )
    stmt = (
        select(Comment)
        .where(Comment.post_id == post.id, or_(permissions.seen(viewer, post), holds_a_reply))
        .options(joinedload(Comment.author))
    )
    page: Page[Comment] = keyset_page(
        session, stmt, Comment.created_at, Comment.id,
        lambda c: Cursor(c.created_at, c.id), size,
        after=Cursor.decode(after), oldest_first=True,
    )  # fmt: skip
    nodes = [thread_node(viewer, comment, post, policy, now) for comment in page.items]
    return Page(nodes, newer=page.newer, older=page.older)


def _last_event(post_id: int) -> ScalarSelect[int]:
    return (
        select(func.coalesce(func.max(CommentEvent.id), 0))
        .where(CommentEvent.post_id == post_id)
        .scalar_subquery()
    )


def watched_post(session: DbSession, viewer: User | None, post_id: int, now: datetime) -> Post:
    """The post whose comments ``viewer`` follows live. Raises NotFound."""
    post = session.get(Post, post_id) if 0 < post_id <= ID_MAX else None
    if post is None or not post_permissions.can_view(viewer, post, now):
        raise NotFound("No such post.")
    return post


@dataclass(frozen=True)
class LiveEvent:
    """A change to a post's public thread, as a reader sees it now: an event about
    a comment that is no longer public says it went, whatever its kind was, so
    that nothing removed is ever sent again."""

    id: int
    kind: str
    comment_id: int
    parent_id: int | None
    node: Node | None  # the comment to show, for "added" and "edited"


def events_after(
    session: DbSession, viewer: User | None, post: Post, after: int, limit: int, now: datetime,
    policy: str,
) -> list[LiveEvent]:  # fmt: skip
    """The post's comment events after the event ``after``, oldest first: one query."""
    rows = session.execute(
        select(CommentEvent, Comment)
        # On the post too: SQLite may give a new comment the id of a deleted one.
        .outerjoin(
            Comment,
            (Comment.id == CommentEvent.comment_id) & (Comment.post_id == CommentEvent.post_id),
        )
        .where(CommentEvent.post_id == post.id, CommentEvent.id > after)
        .options(joinedload(Comment.author))
        .order_by(CommentEvent.id)
        .limit(limit)
    )
    events = []
    for event, comment in rows:
        kind = event.kind
        if comment is None or not comment.counted:
            kind, node = EventKind.REMOVED.value, None
        else:
            node = thread_node(viewer, comment, post, policy, now)
        parent = comment.parent_id if comment is not None else None
        events.append(LiveEvent(event.id, kind, event.comment_id, parent, node))
    return events


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
