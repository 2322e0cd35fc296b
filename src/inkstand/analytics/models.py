"""Recorded page views and the daily salts of visitor ids."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, event, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from inkstand.accounts.models import User, UsernameRedirect
from inkstand.db import Base, UTCDateTime

PATH_MAX = 500
HOST_MAX = 253  # the longest DNS name
UTM_MAX = 100
LABEL_MAX = 50  # device class, browser and OS family


class PageView(Base):
    """One view of one public page. No address, no user agent, no cookie: the visitor
    is a hash that changes every UTC day (see recording.visitor_id)."""

    __tablename__ = "page_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    day: Mapped[date] = mapped_column(Date)  # the UTC day of viewed_at, for daily figures
    path: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    referrer_host: Mapped[str] = mapped_column(Text, default="")
    utm_source: Mapped[str] = mapped_column(Text, default="")
    utm_medium: Mapped[str] = mapped_column(Text, default="")
    utm_campaign: Mapped[str] = mapped_column(Text, default="")
    device: Mapped[str] = mapped_column(String(LABEL_MAX), default="")
    browser: Mapped[str] = mapped_column(String(LABEL_MAX), default="")
    os: Mapped[str] = mapped_column(String(LABEL_MAX), default="")
    visitor: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_page_views_day", "day"),
        Index("ix_page_views_post_id_day", "post_id", "day"),
        Index("ix_page_views_viewed_at", "viewed_at"),
    )


class VisitorSalt(Base):
    """The random salt of one UTC day's visitor ids; deleted after two days, so no id
    can be computed again and linked to another day's."""

    __tablename__ = "visitor_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


# What a deleted account's author pages are recorded as: the views stay counted.
DELETED_AUTHOR_PATH = "/authors/-"


@event.listens_for(Session, "before_flush")
def _forget_deleted_authors(session: Session, flush_context: Any, instances: Any) -> None:
    """A deleted account's name leaves the recorded paths of its author pages (and of
    the pages of names it had), in the same transaction as the deletion."""
    gone = [o for o in session.deleted if isinstance(o, User)]
    if not gone:
        return
    ids = [user.id for user in gone]
    names = {user.username.lower() for user in gone}
    names |= set(
        session.scalars(select(UsernameRedirect.username).where(UsernameRedirect.user_id.in_(ids)))
    )
    path = func.lower(PageView.path)
    pages = [
        or_(path == f"/authors/{name}", path.startswith(f"/authors/{name}/", autoescape=True))
        for name in names
    ]
    session.execute(
        update(PageView)
        .where(or_(*pages))
        .values(path=DELETED_AUTHOR_PATH)
        .execution_options(synchronize_session=False)
    )
