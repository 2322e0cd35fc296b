"""The flush writes buffered views through the driver: the rows SQLAlchemy's own insert
would write, column by column, and a batch the database refuses is kept whole; on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from inkstand.analytics import recording, services
from inkstand.analytics.models import PageView
from inkstand.buffers import LocalBuffer
from inkstand.db import insert_many
from inkstand.extensions import db
from tests.helpers import Factory

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SALT = "00" * 32
STORED = ", ".join(services.VIEW_COLUMNS)

pytestmark = pytest.mark.usefixtures("app")


def buffered(slug: str) -> list[str]:
    """Records of views of a post and of the home page, at times with and without
    microseconds and either side of midnight, with and without referrers and tags."""
    hits = [
        (f"/posts/{slug}", slug, FIREFOX, "https://News.example.org/a", "utm_source=news",
         datetime(2026, 12, 6, 23, 59, 59, 999999, tzinfo=UTC)),
        ("/", "", IPHONE, "", "utm_campaign=winter&utm_medium=email",
         datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),
        ("/tags/ink", "", FIREFOX, "https://inkstand.test/", "",
         datetime(2026, 12, 7, 9, 30, 15, 250, tzinfo=UTC)),
        ("/posts/gone", "gone", IPHONE, "", "", datetime(2026, 12, 7, 12, 0, 1, tzinfo=UTC)),
    ]  # fmt: skip
    return [
        recording.record(hit(path, agent, referrer, query), SALT, when, "inkstand.test", post_slug)
        for path, post_slug, agent, referrer, query, when in hits
    ]


def hit(path: str, agent: str, referrer: str, query: str) -> recording.Hit:
    environ = {"HTTP_USER_AGENT": agent, "HTTP_REFERER": referrer}
    return recording.Hit("GET", path, 200, "text/html", environ, query, "192.0.2.7")


def stored() -> list[tuple[Any, ...]]:
    """The stored rows as the driver reads them back: no type of SQLAlchemy's between."""
    db.session.expire_all()
    query = text(f"SELECT {STORED} FROM page_views ORDER BY id")  # noqa: S608 (our own names)
    return [tuple(row) for row in db.session.execute(query)]


def test_the_flush_writes_each_column_as_sqlalchemys_insert_would(factory: Factory) -> None:
    post = factory.post(factory.user())
    records = buffered(post.slug)
    buffer = LocalBuffer()
    for record in records:
        buffer.add(record)
    assert services.flush(db.session, buffer, 500) == 4
    written = stored()
    db.session.execute(PageView.__table__.delete())
    visits = [v for v in map(recording.Visit.loads, records) if v is not None]
    ids = {post.slug: post.id}
    db.session.execute(insert(PageView.__table__), [
        {"viewed_at": v.viewed_at, "day": v.viewed_at.date(), "path": v.path,
         "post_id": ids.get(v.post_slug), "referrer_host": v.referrer_host,
         "utm_source": v.utm_source, "utm_medium": v.utm_medium, "utm_campaign": v.utm_campaign,
         "device": v.device, "browser": v.browser, "os": v.os, "visitor": v.visitor}
        for v in visits
    ])  # fmt: skip
    db.session.commit()
    assert written == stored()
    assert [row[3] for row in written] == [post.id, None, None, None]


def test_a_row_the_database_refuses_leaves_none_of_its_batch(factory: Factory) -> None:
    when = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    good = (when, when.date(), "/", None, "", "", "", "", "desktop", "Firefox", "Linux", "v")
    refused = (*good[:-1], None)  # a view without a visitor
    rows = [good, refused, good]
    with pytest.raises(IntegrityError):
        insert_many(db.session.connection(), services.PAGE_VIEWS, services.VIEW_COLUMNS, rows)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PageView)) == 0


def test_a_value_its_type_refuses_is_a_statement_error() -> None:
    naive = datetime(2026, 12, 7, 10, 0)  # what the type refuses
    row = (naive, naive.date(), "/", None, "", "", "", "", "desktop", "Firefox", "Linux", "v")
    with pytest.raises(StatementError, match="naive datetime"):
        insert_many(db.session.connection(), services.PAGE_VIEWS, services.VIEW_COLUMNS, [row])
    db.session.rollback()


def test_a_batch_the_database_cannot_write_is_kept_whole_for_the_next_flush() -> None:
    buffer = LocalBuffer()
    for record in buffered("")[1:3]:
        buffer.add(record)
    db.session.execute(text("ALTER TABLE page_views RENAME TO page_views_away"))
    db.session.commit()
    try:
        assert services.flush(db.session, buffer, 500) == 0
    finally:
        db.session.rollback()
        db.session.execute(text("ALTER TABLE page_views_away RENAME TO page_views"))
        db.session.commit()
    assert len(buffer) == 2
    assert services.flush(db.session, buffer, 500) == 2
    assert services.flush(db.session, buffer, 500) == 0
    assert len(stored()) == 2
