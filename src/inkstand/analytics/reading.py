"""The dashboard's figures: a fixed number of queries whatever the number of views.

Unique visitors are counted once per day: a visitor id lives one UTC day (see
recording.visitor_id), so over a range the figure is the sum of each day's
visitors, and the dashboard says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, desc, func, or_, select

from inkstand.accounts.models import User
from inkstand.analytics import permissions
from inkstand.analytics.models import PageView
from inkstand.blog.models import Post
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid

PRESETS = (7, 30, 90)
LONGEST_RANGE = 366  # days
TOP = 10
LIVE_MINUTES = 5


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Day:
    day: date
    views: int
    visitors: int


@dataclass(frozen=True)
class Row:
    """One line of a top list: what, and its views and daily visitors."""

    label: str
    views: int
    visitors: int = 0
    slug: str = ""


@dataclass
class Figures:
    span: DayRange
    whole_site: bool
    days: list[Day]
    posts: list[Row]
    referrers: list[Row]
    campaigns: list[Row]
    devices: list[Row] = field(default_factory=list)
    browsers: list[Row] = field(default_factory=list)
    systems: list[Row] = field(default_factory=list)
    live: int = 0

    @property
    def views(self) -> int:
        return sum(d.views for d in self.days)

    @property
    def visitor_days(self) -> int:
        """Each day's unique visitors, added up: a visitor on two days counts twice."""
        return sum(d.visitors for d in self.days)

    @property
    def busiest(self) -> int:
        return max((d.views for d in self.days), default=0)


def day_range(today: date, days: int | None, first: date | None, last: date | None) -> DayRange:
    """The range asked for: the last ``days`` days to today, or ``first`` to ``last``.
    Raises Invalid for a reversed, future or too long range."""
    if first is None and last is None:
        count = days or PRESETS[1]
        if count not in PRESETS:
            raise Invalid.field("days", f"Choose {', '.join(map(str, PRESETS))} days.")
        return DayRange(today - timedelta(count - 1), today)
    if first is None or last is None:
        raise Invalid.field("first", "Give both the first and the last day.")
    if first > last:
        raise Invalid.field("first", "The first day comes after the last.")
    if last > today:
        raise Invalid.field("last", "The last day is in the future.")
    if (last - first).days + 1 > LONGEST_RANGE:
        raise Invalid.field("first", f"Choose at most {LONGEST_RANGE} days.")
    return DayRange(first, last)


def figures(session: DbSession, viewer: User | None, span: DayRange, now: datetime) -> Figures:
    """Everything the dashboard shows for ``span``: the whole site's for editors and
    admins, the viewer's own posts' for an author. Raises Forbidden for anyone else.
    Runs six queries."""
    if not permissions.can_see_stats(viewer):
        raise Forbidden("Only writers, editors and admins see the statistics.")
    assert viewer is not None
    whole_site = permissions.sees_whole_site(viewer)
    scope = and_(PageView.day >= span.first, PageView.day <= span.last)
    if not whole_site:
        own = select(Post.id).where(Post.author_id == viewer.id).scalar_subquery()
        scope = and_(scope, PageView.post_id.in_(own))
    devices, browsers, systems = _kinds(session, scope)
    return Figures(
        span=span,
        whole_site=whole_site,
        days=_days(session, scope, span),
        posts=_posts(session, scope),
        referrers=_top(session, scope, PageView.referrer_host),
        campaigns=_campaigns(session, scope),
        devices=devices,
        browsers=browsers,
        systems=systems,
        live=_live(session, viewer, whole_site, now),
    )


def _days(session: DbSession, scope: Any, span: DayRange) -> list[Day]:
    query = (
        select(PageView.day, func.count(), func.count(PageView.visitor.distinct()))
        .where(scope)
        .group_by(PageView.day)
    )
    found = {day: (views, visitors) for day, views, visitors in session.execute(query)}
    return [Day(day, *found.get(day, (0, 0))) for day in span.days]


def _posts(session: DbSession, scope: Any) -> list[Row]:
    views = func.count().label("views")
    query = (
        select(Post.title, Post.slug, views, func.count(PageView.visitor.distinct()))
        .join(Post, Post.id == PageView.post_id)
        .where(scope)
        .group_by(Post.id, Post.title, Post.slug)
        .order_by(desc(views), Post.title)
        .limit(TOP)
    )
    found = session.execute(query)
    return [Row(title, count, people, slug) for title, slug, count, people in found]


def _top(session: DbSession, scope: Any, column: Any) -> list[Row]:
    views = func.count().label("views")
    query: Select[Any] = (
        select(column, views).where(scope, column != "").group_by(column)
        .order_by(desc(views), column).limit(TOP)
    )  # fmt: skip
    return [Row(label, count) for label, count in session.execute(query)]


def _campaigns(session: DbSession, scope: Any) -> list[Row]:
    tags = (PageView.utm_campaign, PageView.utm_source, PageView.utm_medium)
    views = func.count().label("views")
    query = (
        select(*tags, views)
        .where(scope, or_(*(tag != "" for tag in tags)))
        .group_by(*tags)
        .order_by(desc(views), *tags)
        .limit(TOP)
    )
    rows = []
    for campaign, source, medium, count in session.execute(query):
        label = " / ".join(part or "(none)" for part in (campaign, source, medium))
        rows.append(Row(label, count))
    return rows


def _kinds(session: DbSession, scope: Any) -> tuple[list[Row], list[Row], list[Row]]:
    """Devices, browsers and systems in one query (their combinations are few)."""
    query = (
        select(PageView.device, PageView.browser, PageView.os, func.count())
        .where(scope)
        .group_by(PageView.device, PageView.browser, PageView.os)
    )
    devices: Counter[str] = Counter()
    browsers: Counter[str] = Counter()
    systems: Counter[str] = Counter()
    for device, browser, system, count in session.execute(query):
        devices[device or "unknown"] += count
        browsers[browser or "unknown"] += count
        systems[system or "unknown"] += count
    return tuple(  # type: ignore[return-value]
        [Row(label, count) for label, count in counter.most_common(TOP)]
        for counter in (devices, browsers, systems)
    )


def _live(session: DbSession, viewer: User, whole_site: bool, now: datetime) -> int:
    """Visitors in the last five minutes (of the views flushed so far)."""
    query = select(func.count(PageView.visitor.distinct())).where(
        PageView.viewed_at >= now - timedelta(minutes=LIVE_MINUTES)
    )
    if not whole_site:
        own = select(Post.id).where(Post.author_id == viewer.id).scalar_subquery()
        query = query.where(PageView.post_id.in_(own))
    return session.scalar(query) or 0
