"""Roll-ups: finished days summed into daily totals, old views deleted, the same
figures either way; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inkstand import runtime
from inkstand.accounts.models import User
from inkstand.analytics import reading, services
from inkstand.analytics.models import DailyTotal, PageView
from inkstand.blog.models import Post
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import Factory, seed_views


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Midday today, for the test and for the app's clock: yesterday is past its
    roll-up wait whatever the hour the suite runs at (midnight has its own test)."""
    moment = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(runtime, "utcnow", lambda: moment)
    return moment


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    return {role: factory.user(role, role) for role in ("admin", "editor", "author")}


@pytest.fixture
def history(factory: Factory, people: dict[str, User]) -> tuple[Post, Post]:
    """Forty days of views of two posts and the home page, from many places."""
    mine = factory.post(people["author"], "Mine")
    theirs = factory.post(people["editor"], "Theirs")
    for n in range(40):
        seed_views(f"/posts/{mine.slug}", post=mine, days_ago=n, count=3 + n % 4, visitors=2,
                   referrer_host=f"r{n % 3}.example", utm_campaign=f"c{n % 2}")  # fmt: skip
        seed_views(f"/posts/{theirs.slug}", post=theirs, days_ago=n, count=2, visitors=2,
                   browser="Chrome", device="mobile", os="Android", utm_source="news")  # fmt: skip
        seed_views("/", days_ago=n, count=5 + n % 3, visitors=3, referrer_host="r0.example")
    # The same visitor ids on the post and the home page, on the same day: one person.
    return mine, theirs


def dashboards(people: dict[str, User], post: Post, now: datetime) -> list[reading.Figures]:
    """What each kind of reader sees over the last 90 days, and one post's panel."""
    span = reading.day_range(now.date(), 90, None, None)
    return [
        reading.figures(db.session, people["admin"], span, now),
        reading.figures(db.session, people["author"], span, now),
        reading.figures(db.session, people["admin"], span, now, post_id=post.id),
    ]


def stored_views() -> int:
    return db.session.scalar(select(func.count()).select_from(PageView)) or 0


def totals(kind: str = "views", scope: str = "site") -> int:
    query = select(func.coalesce(func.sum(DailyTotal.views), 0)).where(
        DailyTotal.kind == kind, DailyTotal.scope == scope
    )
    return db.session.scalar(query) or 0


def test_totals_before_and_after_a_roll_up_are_equal(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    today = now.date()
    past = PageView.day < today
    before = db.session.scalar(select(func.count()).where(past))
    referred = db.session.scalar(select(func.count()).where(past, PageView.referrer_host != ""))
    days = services.roll_up(db.session, now, keep_days=0)
    assert len(days) == 39  # every finished day; today stays raw
    assert totals() == before
    assert totals("referrer") == referred
    assert totals("device") == totals("path") == before
    assert totals(scope="post") == totals("device", "post")
    assert stored_views() == before + 3 + 2 + 5  # nothing deleted without a retention


def test_the_dashboard_gives_the_same_numbers_from_views_and_from_totals(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    mine, _ = history
    from_views = dashboards(people, mine, now)
    before = stored_views()
    services.roll_up(db.session, now, keep_days=30)
    assert stored_views() < before  # views older than 30 days are gone...
    assert dashboards(people, mine, now) == from_views  # ...and nothing moved


def test_retention_deletes_only_views_older_than_it(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    services.roll_up(db.session, now, keep_days=30)
    oldest = db.session.scalar(select(func.min(PageView.day)))
    assert oldest == now.date() - timedelta(30)


def test_a_second_roll_up_changes_nothing(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    services.roll_up(db.session, now, keep_days=30)
    rows = db.session.scalar(select(func.count()).select_from(DailyTotal))
    assert services.roll_up(db.session, now, keep_days=30) == []
    assert db.session.scalar(select(func.count()).select_from(DailyTotal)) == rows


def test_a_day_without_views_is_rolled_up_too(
    app: Flask, people: dict[str, User], now: datetime
) -> None:
    seed_views(days_ago=3)
    assert len(services.roll_up(db.session, now, keep_days=0)) == 3
    assert db.session.scalar(DailyTotal.last_rolled_day()) == now.date() - timedelta(1)
    assert totals() == 1


def test_yesterday_waits_for_its_last_buffered_views(
    app: Flask, people: dict[str, User], now: datetime
) -> None:
    seed_views(days_ago=1)
    midnight = now.replace(hour=0, minute=5, second=0, microsecond=0)
    assert services.roll_up(db.session, midnight, keep_days=0) == []
    assert services.roll_up(db.session, midnight + timedelta(minutes=15), keep_days=0) == [
        midnight.date() - timedelta(1)
    ]


def test_the_rebuild_command_rolls_up_again_from_the_views(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    mine, _ = history
    from_views = dashboards(people, mine, now)
    services.roll_up(db.session, now, keep_days=0)
    db.session.execute(DailyTotal.__table__.update().values(views=0))  # damaged totals
    db.session.commit()
    assert dashboards(people, mine, now) != from_views
    result = CliRunner().invoke(app.cli, ["stats", "rebuild"], obj=None, catch_exceptions=False)
    assert "39 days rolled up" in result.output
    assert dashboards(people, mine, now) == from_views


def test_a_deleted_post_leaves_the_site_totals(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    mine, _ = history
    services.roll_up(db.session, now, keep_days=0)
    site = totals()
    db.session.delete(db.session.get(Post, mine.id))
    db.session.commit()
    assert totals() == site
    assert totals(scope="post") > 0


def test_two_processes_rolling_up_the_same_day_at_once_write_it_once(
    app: Flask, people: dict[str, User], history: tuple[Post, Post], now: datetime
) -> None:
    day = now.date() - timedelta(3)
    done: list[BaseException | None] = []
    engine = db.engine  # each thread its own session, as each process has

    def roll() -> None:
        with Session(engine) as session:
            try:
                services.roll_up_day(session, day)
                done.append(None)
            except BaseException as error:
                done.append(error)

    rollers = [threading.Thread(target=roll) for _ in range(2)]
    for roller in rollers:
        roller.start()
    for roller in rollers:
        roller.join()
    assert done == [None, None]
    markers = select(func.count()).where(
        DailyTotal.day == day, DailyTotal.scope == "site", DailyTotal.kind == "views"
    )
    assert db.session.scalar(markers) == 1
    assert totals() == db.session.scalar(select(func.count()).where(PageView.day == day))
