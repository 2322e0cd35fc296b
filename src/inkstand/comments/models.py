"""Comments on posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, event, false, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import IDS_NEVER_REUSED, Base, PublicContent, UTCDateTime, utcnow


class CommentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"


class Comment(PublicContent, Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # None once its writer's account is deleted: the comment stays, by "a deleted account".
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    # 0 for a comment on the post, 1 for a reply to it, and so on up to MAX_DEPTH.
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PENDING.value)
    # A deleted comment that has replies stays, without its text, to hold its thread.
    deleted: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship(lazy="raise")
    post: Mapped[Post] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_comments_post_id_created_at_id", "post_id", "created_at", "id"),
        Index("ix_comments_status_created_at_id", "status", "created_at", "id"),
        Index("ix_comments_author_id_post_id_created_at", "author_id", "post_id", "created_at"),
        IDS_NEVER_REUSED,
    )

    def shown_to_visitors(self) -> bool:
        """Visitors see approved comments (and their "[deleted]" placeholders);
        a held one, or one marked as spam, leaves the cached pages as they are."""
        approved = CommentStatus.APPROVED.value
        return self.status == approved or _before(self, "status") == approved

    @property
    def counted(self) -> bool:
        """Part of the post's public comment count."""
        return self.status == CommentStatus.APPROVED and not self.deleted

    def __repr__(self) -> str:
        return f"<Comment {self.id} on post {self.post_id} ({self.status})>"


class EventKind(StrEnum):
    ADDED = "added"  # the comment became public: posted approved, or approved later
    EDITED = "edited"  # its public text changed
    REMOVED = "removed"  # it stopped being public: deleted, or marked as spam


class CommentEvent(Base):
    """What happened to a post's public thread, in order: a comment became
    visible, or stopped being visible. Live streams send these; their ids are
    the stream's event ids, so a client that reconnects with Last-Event-ID gets
    exactly the events after it, from whichever app process it reaches."""

    __tablename__ = "comment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # Not a foreign key: the event that a comment went away outlives the comment.
    comment_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_comment_events_post_id_id", "post_id", "id"), IDS_NEVER_REUSED)


PENDING_EVENTS = "inkstand.comment_events"


def _before(comment: Comment, attribute: str) -> Any:
    """The value ``attribute`` had before this flush."""
    history = inspect(comment).attrs[attribute].history
    return history.deleted[0] if history.deleted else getattr(comment, attribute)


def _public(status: str, deleted: bool) -> bool:
    return status == CommentStatus.APPROVED and not deleted


def _change(session: Session, comment: Comment) -> EventKind | None:
    """What this flush did to ``comment`` as the public sees it, if anything."""
    if comment in session.new:
        return EventKind.ADDED if comment.counted else None
    was = _public(_before(comment, "status"), _before(comment, "deleted"))
    if comment in session.deleted:
        # A childless comment goes at once; a "[deleted]" placeholder goes with its
        # last reply. Either way, readers drop it.
        return EventKind.REMOVED if _before(comment, "status") == CommentStatus.APPROVED else None
    now = comment.counted
    if was != now:
        return EventKind.ADDED if now else EventKind.REMOVED
    if now and inspect(comment).attrs.body_html.history.has_changes():
        return EventKind.EDITED
    return None


@event.listens_for(Session, "after_flush")
def _record_comment_events(session: Session, flush_context: Any) -> None:
    """Write an event for each change to a public thread, in the same transaction as
    the change, so that events exist exactly when their changes do. The ids of the
    new events wait in ``session.info`` for the commit to announce them."""
    changed = (*session.new, *session.dirty, *session.deleted)
    touched = [o for o in changed if isinstance(o, Comment)]
    rows = [
        {"post_id": c.post_id, "comment_id": c.id, "kind": kind.value}
        for c in touched
        if (kind := _change(session, c)) is not None
    ]
    if not rows:
        return
    result = session.connection().execute(
        insert(CommentEvent).returning(
            CommentEvent.post_id, CommentEvent.id, sort_by_parameter_order=True
        ),
        rows,
    )
    session.info.setdefault(PENDING_EVENTS, []).extend(tuple(row) for row in result)


@event.listens_for(Session, "after_rollback")
def _forget_comment_events(session: Session) -> None:
    session.info.pop(PENDING_EVENTS, None)
