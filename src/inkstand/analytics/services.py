"""Daily salts and the flush that writes buffered views to the database in batches."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from inkstand.analytics.models import PageView, VisitorSalt
from inkstand.analytics.recording import Visit
from inkstand.blog.models import Post
from inkstand.buffers import Buffer
from inkstand.db import DbSession

log = logging.getLogger(__name__)
SALT_DAYS = 2  # today's salt and yesterday's; older ones are deleted


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


def _write(session: DbSession, visits: list[Visit]) -> None:
    slugs = {v.post_slug for v in visits if v.post_slug}
    post_ids: dict[str, int] = {}
    if slugs:
        found = session.execute(select(Post.slug, Post.id).where(Post.slug.in_(slugs)))
        post_ids = {row.slug: row.id for row in found}
    rows = []
    for v in visits:
        viewed_at = datetime.fromisoformat(v.viewed_at)
        rows.append({
            "viewed_at": viewed_at, "day": viewed_at.date(), "path": v.path,
            "post_id": post_ids.get(v.post_slug), "referrer_host": v.referrer_host,
            "utm_source": v.utm_source, "utm_medium": v.utm_medium,
            "utm_campaign": v.utm_campaign, "device": v.device, "browser": v.browser,
            "os": v.os, "visitor": v.visitor,
        })  # fmt: skip
    if rows:
        session.execute(insert(PageView), rows)
    session.commit()
