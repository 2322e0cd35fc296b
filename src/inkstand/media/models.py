"""Uploaded images and the posts and pages that use them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inkstand.accounts.models import User
from inkstand.db import IDS_NEVER_REUSED, Base, UTCDateTime, utcnow


class Media(Base):
    """One account's upload. The file is named by the SHA-256 of its cleaned bytes, so
    an image uploaded twice is stored once; each owner has one row per file."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64), index=True)
    extension: Mapped[str] = mapped_column(String(8))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]  # bytes of the stored original
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(lazy="raise")
    uses: Mapped[list[MediaUse]] = relationship(
        lazy="raise", order_by="MediaUse.post_title", viewonly=True
    )
    page_uses: Mapped[list[MediaPageUse]] = relationship(
        lazy="raise", order_by="MediaPageUse.page_title", viewonly=True
    )

    __table_args__ = (
        UniqueConstraint("owner_id", "digest"),
        Index("ix_media_owner_id_created_at", "owner_id", "created_at"),
        # The library of editors and admins (every image), newest first, by keyset.
        Index("ix_media_created_at_id", "created_at", "id"),
        IDS_NEVER_REUSED,
    )

    @property
    def name(self) -> str:
        return f"{self.digest}.{self.extension}"

    @property
    def is_avatar(self) -> bool:
        """Whether its owner shows it as her avatar (the owner must be loaded)."""
        return self.owner.avatar_name.startswith(self.digest)

    def variant_name(self, width: int) -> str:
        return f"{self.digest}-{width}.{self.extension}"

    def __repr__(self) -> str:
        return f"<Media {self.name}>"


class MediaUse(Base):
    """A post that shows an image, in its body or as its cover; written by every save
    of the post (``media.services.record_uses``), removed with the post."""

    __tablename__ = "media_uses"

    media_id: Mapped[int] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    post_title: Mapped[str] = mapped_column(String(200))
    as_cover: Mapped[bool] = mapped_column(default=False, server_default=false())


class MediaPageUse(Base):
    """A page (About, Colophon...) that shows an image in its body; written by every save
    of the page (``media.services.record_page_uses``), removed with the page. Pages are
    a feature above media: the table is named, never imported."""

    __tablename__ = "media_page_uses"

    media_id: Mapped[int] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    page_title: Mapped[str] = mapped_column(String(200))
