"""Daily salts, the flush that writes buffered views to the database in batches, and
the roll-up of finished days into daily totals."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Table,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from inkstand.analytics.models import KINDS, PER_POST, SKIP, DailyTotal, PageView, VisitorSalt
from inkstand.analytics.recording import Visit
from inkstand.blog.models import Post
from inkstand.buffers import Buffer
from inkstand.db import DbSession, insert_many

log = logging.getLogger(__name__)
SALT_DAYS = 2  # today's salt and yesterday's; older ones are deleted
PAGE_VIEWS: Table = PageView.__table__  # type: ignore[assignment]
ROLL_UP_AFTER = timedelta(minutes=15)  # after midnight: the last buffered views are in


def salt_for(session: DbSession, day: date) -> str:
    """The salt of ``day``, made at random the first time it is asked for; salts older
    than two days are deleted. Commits."""
    found = session.get(VisitorSalt, day)
    if found is None:
        try:
            session.add(VisitorSalt(day=day, salt=secrets.token_hex(32)))
            session.flush()
        except IntegrityError:  # another process made it first: use that one
            session.rollback()
        found = session.get(VisitorSalt, day)
        session.execute(delete(VisitorSalt).where(VisitorSalt.day <= day - timedelta(SALT_DAYS)))
        session.commit()
    assert found is not None
    return found.salt


def flush(session: DbSession, buffer: Buffer, batch: int) -> int:
    """Write buffered views to the database, ``batch`` rows per insert and commit, until
    the buffer is empty. Returns how many were written. A batch the database refuses
    goes back to the buffer, for the next flush."""
    written = 0
    while records := buffer.take(batch):
        visits = [v for v in map(Visit.loads, records) if v is not None]
        try:
            _write(session, visits)
        except SQLAlchemyError:
            session.rollback()
            buffer.give_back(records)
            log.exception("%d page views not written; kept for the next flush", len(records))
            break
        written += len(visits)
        if len(records) < batch:
            break
    return written


# The columns a flush writes, in the table's order.
VIEW_COLUMNS = ("viewed_at", "day", "path", "post_id", "referrer_host", "utm_source",
                "utm_medium", "utm_campaign", "device", "browser", "os", "visitor")  # fmt: skip


def _write(session: DbSession, visits: list[Visit]) -> None:
    slugs = {v.post_slug for v in visits if v.post_slug}
    post_ids: dict[str, int] = {}
    if slugs:
        found = session.execute(select(Post.slug, Post.id).where(Post.slug.in_(slugs)))
        post_ids = {row.slug: row.id for row in found}
    rows = [
        (v.viewed_at, v.viewed_at.date(), v.path, post_ids.get(v.post_slug),
         v.referrer_host, v.utm_source, v.utm_medium, v.utm_campaign, v.device, v.browser, v.os,
         v.visitor)
        for v in visits
    ]  # fmt: skip
    if rows:  # through the driver: SQLAlchemy's handling of each row was most of the flush
        insert_many(session.connection(), PAGE_VIEWS, VIEW_COLUMNS, rows)
    session.commit()


# Roll-ups: each finished day's views summed into daily totals (see models.DailyTotal).

COLUMNS = ("day", "scope", "kind", "post_id", "author_id", "a", "b", "c", "views", "visitors")


def roll_up_day(session: DbSession, day: date) -> None:
    """Replace ``day``'s totals by the sums of its page views. Commits.

    A "site" "views" row is written even for a day without views: it marks the day
    as rolled up."""
    session.execute(delete(DailyTotal).where(DailyTotal.day == day))
    try:
        for query in _totals(day):  # the marker first: a second roll-up at once stops there
            session.execute(insert(DailyTotal).from_select(COLUMNS, query))
    except IntegrityError:
        session.rollback()  # another process rolled the day up meanwhile
        return
    session.commit()


def _totals(day: date) -> list[Select[Any]]:
    views, visitors = func.count(), func.count(PageView.visitor.distinct())
    on_day = PageView.day == day
    blank = literal("")

    def row(scope: str, kind: str, post: Any, author: Any, labels: tuple[Any, ...]) -> list[Any]:
        a, b, c = (*labels, blank, blank, blank)[:3]
        return [literal(day), literal(scope), literal(kind), post, author, a, b, c, views,
                visitors]  # fmt: skip

    null = null_int()
    queries = [
        select(*row("site", "views", null, null, ())).where(on_day),
        select(*row("author", "views", null, Post.author_id, ()))
        .join(Post, Post.id == PageView.post_id).where(on_day).group_by(Post.author_id),
        select(*row("post", "views", PageView.post_id, null, ()))
        .where(on_day, PageView.post_id.is_not(None)).group_by(PageView.post_id),
    ]  # fmt: skip
    for kind, labels in KINDS.items():
        skip = SKIP.get(kind, true())
        queries.append(
            select(*row("site", kind, null, null, labels)).where(on_day, skip).group_by(*labels)
        )
        if kind in PER_POST:
            queries.append(
                select(*row("post", kind, PageView.post_id, null, labels))
                .where(on_day, skip, PageView.post_id.is_not(None))
                .group_by(PageView.post_id, *labels)
            )  # fmt: skip
    return queries


def null_int() -> Any:
    return cast(null(), Integer)


def roll_up(session: DbSession, now: datetime, keep_days: int) -> list[date]:
    """Roll up every finished day not rolled up yet (a day is finished once
    ``ROLL_UP_AFTER`` has passed since its end, so that views still buffered are in),
    then delete the views of rolled-up days older than ``keep_days``. Returns the days
    rolled up. Commits after each day."""
    finished = (now - ROLL_UP_AFTER).date() - timedelta(1)
    last = session.scalar(DailyTotal.last_rolled_day())
    if last is None:
        last = session.scalar(select(func.min(PageView.day))) or finished + timedelta(1)
        last -= timedelta(1)
    days = [last + timedelta(n) for n in range(1, (finished - last).days + 1)]
    for day in days:
        roll_up_day(session, day)
    if keep_days > 0:  # only views of days rolled up (up to ``finished``) are deleted
        oldest = min(now.date() - timedelta(keep_days), max(last, finished) + timedelta(1))
        session.execute(delete(PageView).where(PageView.day < oldest))
        session.commit()
    return days


def rebuild(session: DbSession, now: datetime) -> list[date]:
    """Roll up again every finished day that still has page views (after a restore, or
    views written late). Days whose views are gone keep their totals. Commits."""
    finished = (now - ROLL_UP_AFTER).date() - timedelta(1)
    days = list(session.scalars(
        select(PageView.day).where(PageView.day <= finished).group_by(PageView.day)
        .order_by(PageView.day)
    ))  # fmt: skip
    for day in days:
        roll_up_day(session, day)
    return days
