"""Comments on posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import Base, PublicContent, UTCDateTime, utcnow


class CommentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"


class Comment(PublicContent, Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
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

    author: Mapped[User] = relationship(lazy="raise")
    post: Mapped[Post] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_comments_post_id_created_at_id", "post_id", "created_at", "id"),
        Index("ix_comments_status_created_at_id", "status", "created_at", "id"),
        Index("ix_comments_author_id_post_id_created_at", "author_id", "post_id", "created_at"),
    )

    @property
    def counted(self) -> bool:
        """Part of the post's public comment count."""
        return self.status == CommentStatus.APPROVED and not self.deleted

    def __repr__(self) -> str:
        return f"<Comment {self.id} on post {self.post_id} ({self.status})>"


class EventKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"


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

    __table_args__ = (Index("ix_comment_events_post_id_id", "post_id", "id"),)
