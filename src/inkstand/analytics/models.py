"""Recorded page views, their daily totals, and the daily salts of visitor ids."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from inkstand.accounts.models import User, UsernameRedirect
from inkstand.db import Base, UTCDateTime

PATH_MAX = 500
HOST_MAX = 253  # the longest DNS name
UTM_MAX = 100
LABEL_MAX = 50  # device class, browser and OS family
ROLLED_MARK = "scope = 'site' AND kind = 'views'"  # the row that marks a day rolled up


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


class DailyTotal(Base):
    """The views and visitors of one UTC day for one thing: rolled up from page views
    once the day is over, and kept after the views themselves are deleted.

    ``kind`` says what is counted: "views" (everything in the scope), "path",
    "referrer", "campaign" or "device"; ``a``, ``b`` and ``c`` hold its labels (a path;
    a referrer host; campaign, source and medium; device, browser and system).
    ``scope`` says over what: "site" (every page), "author" (the posts of
    ``author_id``) or "post" (``post_id``). Visitors are counted once per day in each
    row's own scope, so a row's visitors are exact for that day and that thing.
    """

    __tablename__ = "daily_totals"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    a: Mapped[str] = mapped_column(Text, default="")
    b: Mapped[str] = mapped_column(Text, default="")
    c: Mapped[str] = mapped_column(Text, default="")
    views: Mapped[int] = mapped_column(Integer)
    visitors: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_daily_totals_scope_kind_day", "scope", "kind", "day"),
        Index("ix_daily_totals_post_id_kind_day", "post_id", "kind", "day"),
        Index("ix_daily_totals_author_id_day", "author_id", "day"),
        # One marker per rolled-up day: a second roll-up of the day at once fails here.
        Index("ux_daily_totals_rolled_day", "day", unique=True,
              sqlite_where=text(ROLLED_MARK), postgresql_where=text(ROLLED_MARK)),
    )  # fmt: skip

    @classmethod
    def last_rolled_day(cls) -> Select[Any]:
        """The last day rolled up (every day up to it is read from the totals): each
        rolled-up day has a "site" "views" row, even a day without views."""
        return select(func.max(cls.day)).where(cls.scope == "site", cls.kind == "views")


#: What each kind of total groups by, as (a, b, c) of DailyTotal.
KINDS: dict[str, tuple[Any, ...]] = {
    "path": (PageView.path,),
    "referrer": (PageView.referrer_host,),
    "campaign": (PageView.utm_campaign, PageView.utm_source, PageView.utm_medium),
    "device": (PageView.device, PageView.browser, PageView.os),
}
#: Rows a kind leaves out: views with no referrer, no campaign.
SKIP: dict[str, Any] = {
    "referrer": PageView.referrer_host != "",
    "campaign": or_(PageView.utm_campaign != "", PageView.utm_source != "",
                    PageView.utm_medium != ""),
}  # fmt: skip
#: The kinds kept per post too (for an author's figures and a post's panel).
PER_POST = ("referrer", "campaign", "device")


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
