"""Static pages and their revisions: a table of their own, so that no list, feed,
search or API of posts can ever show one."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inkstand.accounts.models import User
from inkstand.db import IDS_NEVER_REUSED, Base, PublicContent, UTCDateTime, utcnow


class PageStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Page(PublicContent, Base):
    """A page at the site root (``/<slug>``), written like a post but in no list."""

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PageStatus.DRAFT.value)
    # Who wrote it first; the revisions say who changed it.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised by every save; a save made to an older version is refused (as for posts).
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __table_args__ = (Index("ix_pages_title_id", "title", "id"), IDS_NEVER_REUSED)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def is_published(self) -> bool:
        return self.status == PageStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Page {self.slug} ({self.status})>"


class PageRevision(Base):
    """The page as one save left it."""

    __tablename__ = "page_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    number: Mapped[int]
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))
    body_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship(lazy="raise")

    __table_args__ = (
        Index("uq_page_revisions_page_id_number", "page_id", "number", unique=True),
        IDS_NEVER_REUSED,
    )
