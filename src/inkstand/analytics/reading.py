"""The dashboard's figures: a fixed number of queries whatever the number of views.

Days already rolled up (services.roll_up) are read from their daily totals, later
days (today, and yesterday until it is rolled up) from the page views themselves;
each figure is one query over both, so the numbers are the same either way.

Unique visitors are counted once per day: a visitor id lives one UTC day (see
recording.visitor_id), so over a range the figure is the sum of each day's
visitors, and the dashboard says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    desc,
    false,
    func,
    literal,
    select,
    true,
    union_all,
)

from inkstand.accounts.models import User
from inkstand.analytics import permissions
from inkstand.analytics.models import KINDS, SKIP, DailyTotal, PageView
from inkstand.blog import permissions as blog_permissions
from inkstand.blog.models import Post
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound

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


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole site's, one author's posts', or one post's."""

    kind: str  # "site", "author" or "post"
    id: int | None = None

    def views(self) -> ColumnElement[bool]:
        """Which page views are in the scope."""
        if self.kind == "site":
            return true()
        if self.kind == "post":
            return PageView.post_id == self.id
        return PageView.post_id.in_(self._own_posts())

    def totals(self, kind: str) -> ColumnElement[bool]:
        """Which daily totals of ``kind`` are in the scope."""
        if self.kind == "site":
            return and_(DailyTotal.scope == "site", DailyTotal.kind == kind)
        if self.kind == "post":
            return and_(DailyTotal.scope == "post", DailyTotal.kind == kind,
                        DailyTotal.post_id == self.id)  # fmt: skip
        if kind == "views":
            return and_(DailyTotal.scope == "author", DailyTotal.kind == kind,
                        DailyTotal.author_id == self.id)  # fmt: skip
        return and_(DailyTotal.scope == "post", DailyTotal.kind == kind,
                    DailyTotal.post_id.in_(self._own_posts()))  # fmt: skip

    def _own_posts(self) -> Any:
        return select(Post.id).where(Post.author_id == self.id).scalar_subquery()


@dataclass(frozen=True)
class Window:
    """A scope over a range of days, split where the daily totals end."""

    scope: Scope
    span: DayRange
    rolled: date | None  # the last day rolled up

    def views(self, *more: Any) -> list[Any]:
        after = self.span.first
        if self.rolled is not None:
            after = max(after, self.rolled + timedelta(1))
        return [self.scope.views(), PageView.day >= after, PageView.day <= self.span.last, *more]

    def totals(self, kind: str) -> list[Any]:
        if self.rolled is None:
            return [false()]
        return [self.scope.totals(kind), DailyTotal.day >= self.span.first,
                DailyTotal.day <= min(self.span.last, self.rolled)]  # fmt: skip


def scope_for(
    session: DbSession, viewer: User | None, now: datetime, post_id: int | None = None
) -> Scope:
    """The scope ``viewer`` may see: the site for editors and admins, her own posts for an
    author; one post, when ``post_id`` is given, for its author, editors and admins.
    Raises Forbidden for anyone else, NotFound for a post that does not exist or that
    ``viewer`` may not see (another's draft is not confirmed to exist)."""
    post = session.get(Post, post_id) if post_id is not None else None
    if post_id is not None and (post is None or not blog_permissions.can_view(viewer, post, now)):
        raise NotFound("No such post.")
    if not permissions.can_see_stats(viewer):
        raise Forbidden("Only writers, editors and admins see the statistics.")
    assert viewer is not None
    if post is not None:
        if not permissions.can_see_post_stats(viewer, post):
            raise Forbidden("Only the post's author, editors and admins see its statistics.")
        return Scope("post", post.id)
    return Scope("site") if permissions.sees_whole_site(viewer) else Scope("author", viewer.id)


def figures(
    session: DbSession, viewer: User | None, span: DayRange, now: datetime,
    post_id: int | None = None,
) -> Figures:  # fmt: skip
    """Everything the dashboard shows for ``span``: the whole site's for editors and
    admins, the viewer's own posts' for an author, one post's when ``post_id`` is given
    (see scope_for). Raises Forbidden or NotFound. Runs seven queries (a post's: seven,
    its own read instead of the top posts)."""
    return figures_of(session, scope_for(session, viewer, now, post_id), span, now)


def figures_of(session: DbSession, scope: Scope, span: DayRange, now: datetime) -> Figures:
    """The figures of a scope the caller may see (see scope_for)."""
    window = Window(scope, span, session.scalar(DailyTotal.last_rolled_day()))
    devices, browsers, systems = _kinds(session, window)
    return Figures(
        span=span,
        whole_site=scope.kind == "site",
        days=_days(session, window),
        posts=[] if scope.kind == "post" else _posts(session, window),
        referrers=[Row(label, count) for (label,), count in _top(session, window, "referrer")],
        campaigns=[
            Row(" / ".join(part or "(none)" for part in labels), count)
            for labels, count in _top(session, window, "campaign")
        ],
        devices=devices,
        browsers=browsers,
        systems=systems,
        live=_live(session, scope, now),
    )


def post_panel(
    session: DbSession, viewer: User | None, post_id: int, span: DayRange, now: datetime
) -> Figures | None:
    """A post's days and top referrers over ``span`` for its edit page; None when
    ``viewer`` may not see them. Three queries (the post is the one the page holds)."""
    try:
        scope = scope_for(session, viewer, now, post_id)
    except (Forbidden, NotFound):
        return None
    window = Window(scope, span, session.scalar(DailyTotal.last_rolled_day()))
    referrers = [Row(label, count) for (label,), count in _top(session, window, "referrer")]
    return Figures(span, False, _days(session, window), [], referrers, [])


def _days(session: DbSession, window: Window) -> list[Day]:
    raw = (
        select(PageView.day.label("day"), func.count().label("views"),
               func.count(PageView.visitor.distinct()).label("visitors"))
        .where(*window.views()).group_by(PageView.day)
    )  # fmt: skip
    rolled = select(DailyTotal.day, DailyTotal.views, DailyTotal.visitors).where(
        *window.totals("views")
    )
    both = union_all(raw, rolled).subquery()
    query = select(both.c.day, func.sum(both.c.views), func.sum(both.c.visitors)).group_by(
        both.c.day
    )
    found = {day: (int(views), int(visitors)) for day, views, visitors in session.execute(query)}
    return [Day(day, *found.get(day, (0, 0))) for day in window.span.days]


def _posts(session: DbSession, window: Window) -> list[Row]:
    """The most read posts, their visitors counted once per day."""
    raw = (
        select(PageView.post_id.label("post_id"), func.count().label("views"),
               func.count(PageView.visitor.distinct()).label("visitors"))
        .where(*window.views(PageView.post_id.is_not(None)))
        .group_by(PageView.post_id, PageView.day)
    )  # fmt: skip
    # Each post's own "views" totals, of every post (the site) or the author's.
    totals = [*window.totals("views")[1:], DailyTotal.scope == "post", DailyTotal.kind == "views"]
    if window.rolled is None:
        totals = [false()]
    elif window.scope.kind == "author":
        own = select(Post.id).where(Post.author_id == window.scope.id).scalar_subquery()
        totals.append(DailyTotal.post_id.in_(own))
    rolled = select(DailyTotal.post_id, DailyTotal.views, DailyTotal.visitors).where(*totals)
    both = union_all(raw, rolled).subquery()
    views = func.sum(both.c.views).label("views")
    top = (  # summed before the join: the posts table is read for ten rows only
        select(both.c.post_id, views, func.sum(both.c.visitors).label("visitors"))
        .group_by(both.c.post_id).order_by(desc(views), both.c.post_id).limit(TOP)
    ).subquery()  # fmt: skip
    query = (
        select(Post.title, Post.slug, top.c.views, top.c.visitors)
        .join(Post, Post.id == top.c.post_id)
        .order_by(desc(top.c.views), Post.title)
    )
    found = session.execute(query)
    return [Row(title, int(count), int(people), slug) for title, slug, count, people in found]


def _grouped(window: Window, kind: str) -> Any:
    """The views of ``kind`` (its labels as a, b, c) from views and totals together."""
    labels = KINDS[kind]
    blanks = [literal("")] * (3 - len(labels))
    skip = SKIP.get(kind, true())
    raw = (
        select(*(c.label(n) for c, n in zip([*labels, *blanks], "abc", strict=True)),
               func.count().label("views"))
        .where(*window.views(skip)).group_by(*labels)
    )  # fmt: skip
    rolled = select(DailyTotal.a, DailyTotal.b, DailyTotal.c, DailyTotal.views).where(
        *window.totals(kind)
    )
    return union_all(raw, rolled).subquery()


def _top(session: DbSession, window: Window, kind: str) -> list[tuple[tuple[str, ...], int]]:
    both = _grouped(window, kind)
    labels = [both.c.a, both.c.b, both.c.c][: len(KINDS[kind])]
    views = func.sum(both.c.views).label("views")
    query: Select[Any] = (
        select(*labels, views).group_by(*labels).order_by(desc(views), *labels).limit(TOP)
    )
    return [(tuple(row[:-1]), int(row[-1])) for row in session.execute(query)]


def _kinds(session: DbSession, window: Window) -> tuple[list[Row], list[Row], list[Row]]:
    """Devices, browsers and systems in one query (their combinations are few)."""
    both = _grouped(window, "device")
    query = select(both.c.a, both.c.b, both.c.c, func.sum(both.c.views)).group_by(
        both.c.a, both.c.b, both.c.c
    )
    devices: Counter[str] = Counter()
    browsers: Counter[str] = Counter()
    systems: Counter[str] = Counter()
    for device, browser, system, count in session.execute(query):
        devices[device or "unknown"] += int(count)
        browsers[browser or "unknown"] += int(count)
        systems[system or "unknown"] += int(count)
    return tuple(  # type: ignore[return-value]
        [Row(label, count) for label, count in counter.most_common(TOP)]
        for counter in (devices, browsers, systems)
    )


def live_visitors(session: DbSession, scope: Scope, now: datetime) -> int:
    """Visitors in the last five minutes (of the views flushed so far)."""
    return _live(session, scope, now)


def _live(session: DbSession, scope: Scope, now: datetime) -> int:
    query = select(func.count(PageView.visitor.distinct())).where(
        scope.views(), PageView.viewed_at >= now - timedelta(minutes=LIVE_MINUTES)
    )
    return session.scalar(query) or 0
