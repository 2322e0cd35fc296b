"""Page views recorded through the site, buffered in this process or in Redis, and
flushed in batches; on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import func, select

from inkstand import buffers
from inkstand.analytics import services, tracking
from inkstand.analytics.models import PageView, VisitorSalt
from inkstand.extensions import db
from tests.helpers import Factory, need_service, seed_views, separate_app

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(params=["in-process", "redis"])
def site(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """A site recording views, its buffer in this process or in the test Redis."""
    settings: dict[str, object] = {"ANALYTICS_ENABLED": True, "ANALYTICS_FLUSH_SECONDS": 0}
    if request.param == "redis":
        settings["REDIS_URL"] = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        settings["REDIS_PREFIX"] = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    with separate_app(tmp_path, database_url, **settings) as app:
        yield app
        buffer = tracking.tracker(app).buffer
        if isinstance(buffer, buffers.RedisBuffer):
            buffer.connection.delete(buffer.key)
            buffer.connection.close()


def views() -> list[PageView]:
    db.session.expire_all()
    return list(db.session.scalars(select(PageView).order_by(PageView.id)))


def read(app: Flask, path: str = "/", agent: str = FIREFOX, **headers: str) -> int:
    response = app.test_client().get(path, headers={"User-Agent": agent, **headers})
    return response.status_code


def test_a_page_view_is_buffered_then_written_by_a_flush(site: Flask) -> None:
    post = Factory(site).post(Factory(site).user())
    assert read(site, f"/posts/{post.slug}?utm_source=news&utm_campaign=winter",
                Referer="https://search.example.org/?q=ink") == 200  # fmt: skip
    assert views() == []
    assert tracking.tracker(site).flush() == 1
    [view] = views()
    assert (view.path, view.post_id, view.referrer_host) == (
        f"/posts/{post.slug}",
        post.id,
        "search.example.org",
    )
    assert (view.utm_source, view.utm_medium, view.utm_campaign) == ("news", "", "winter")
    assert (view.device, view.browser, view.os) == ("desktop", "Firefox", "Linux")
    assert view.day == view.viewed_at.date()


def test_one_visitor_is_one_id_in_a_day_and_people_differ(site: Flask) -> None:
    for agent in (FIREFOX, FIREFOX, CHROME):
        read(site, agent=agent)
    tracking.tracker(site).flush()
    first, again, other = (v.visitor for v in views())
    assert first == again != other


@pytest.mark.parametrize(
    "headers",
    [{"DNT": "1"}, {"Sec-GPC": "1"}, {"Sec-Purpose": "prefetch"}, {"Purpose": "prefetch"},
     {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}],
)  # fmt: skip
def test_opted_out_prefetches_and_robots_are_not_recorded(site: Flask, headers: dict) -> None:
    assert read(site, **headers) == 200
    assert tracking.tracker(site).flush() == 0


def test_feeds_errors_and_apis_are_not_recorded(site: Flask) -> None:
    for path in ("/no-such-page", "/api/v1/posts", "/api/articles", "/posts/missing"):
        read(site, path)
    assert tracking.tracker(site).flush() == 0


def test_cached_pages_are_counted_too(site: Flask) -> None:
    site.config["PAGE_CACHE_SECONDS"] = 60
    from inkstand.blog import pagecache

    pagecache.init_app(site)  # the cache's hooks, as an app with the cache on has them
    post = Factory(site).post(Factory(site).user(), "Read me")
    client = site.test_client()
    for path in ("/", f"/posts/{post.slug}"):
        served = [client.get(path, headers={"User-Agent": FIREFOX}) for _ in range(3)]
        assert all(r.status_code == 200 for r in served)
    assert tracking.tracker(site).flush() == 6
    assert [(v.path, v.post_id) for v in views()] == [("/", None)] * 3 + [
        (f"/posts/{post.slug}", post.id)
    ] * 3


def test_the_address_behind_trusted_proxies_is_the_forwarded_one(
    tmp_path: Path, database_url: str
) -> None:
    settings = {"ANALYTICS_ENABLED": True, "ANALYTICS_FLUSH_SECONDS": 0}
    for proxies, distinct in ((0, 1), (1, 2)):
        with separate_app(
            tmp_path / str(proxies), database_url, PROXY_COUNT=proxies, **settings
        ) as app:
            for forwarded in ("198.51.100.1", "198.51.100.2"):
                read(app, **{"X-Forwarded-For": forwarded})
            tracking.tracker(app).flush()
            assert len({v.visitor for v in views()}) == distinct


def test_the_salt_rotates_daily_and_old_salts_are_deleted(site: Flask) -> None:
    days = [date(2026, 12, d) for d in (1, 2, 3, 4)]
    salts = [services.salt_for(db.session, day) for day in days]
    assert len(set(salts)) == 4
    assert services.salt_for(db.session, days[-1]) == salts[-1]
    kept = set(db.session.scalars(select(VisitorSalt.day)))
    assert kept == {date(2026, 12, 3), date(2026, 12, 4)}


def test_the_same_person_on_two_days_is_two_visitors(
    site: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = iter(
        [datetime(2026, 12, 1, 23, 59, tzinfo=UTC), datetime(2026, 12, 2, 0, 1, tzinfo=UTC)]
    )
    monkeypatch.setattr("inkstand.runtime.utcnow", lambda: next(moments))
    read(site)
    read(site)
    tracking.tracker(site).flush()
    first, second = views()
    assert first.day != second.day
    assert first.visitor != second.visitor


def test_a_flush_writes_n_views_in_batches_and_nothing_twice(site: Flask) -> None:
    tracker = tracking.tracker(site)
    client = site.test_client()
    for number in range(23):
        client.get(f"/?utm_campaign=c{number}", headers={"User-Agent": FIREFOX})
    tracker.batch = 5
    assert tracker.flush() == 23
    assert tracker.flush() == 0
    assert sorted(v.utm_campaign for v in views()) == sorted(f"c{n}" for n in range(23))


def test_two_flushers_at_once_write_each_view_once(site: Flask) -> None:
    tracker = tracking.tracker(site)
    client = site.test_client()
    for number in range(60):
        client.get(f"/?utm_campaign=c{number}", headers={"User-Agent": FIREFOX})
    tracker.batch = 3
    written: list[int] = []
    flushers = [threading.Thread(target=lambda: written.append(tracker.flush())) for _ in range(2)]
    for flusher in flushers:
        flusher.start()
    for flusher in flushers:
        flusher.join()
    assert sum(written) == 60
    rows = db.session.execute(
        select(PageView.utm_campaign, func.count()).group_by(PageView.utm_campaign)
    ).all()
    assert len(rows) == 60
    assert {count for _, count in rows} == {1}


def test_a_batch_the_database_refuses_is_kept_for_the_next_flush(
    site: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    read(site)
    from sqlalchemy.exc import OperationalError

    def refuse(*args: object) -> None:
        raise OperationalError("insert", {}, Exception("database is down"))

    monkeypatch.setattr(services, "_write", refuse)
    assert tracking.tracker(site).flush() == 0
    monkeypatch.undo()
    assert tracking.tracker(site).flush() == 1


def test_the_flusher_thread_writes_without_being_asked(tmp_path: Path, database_url: str) -> None:
    settings = {"ANALYTICS_ENABLED": True, "ANALYTICS_FLUSH_SECONDS": 0.05}
    with separate_app(tmp_path, database_url, **settings) as app:
        read(app)
        for _ in range(100):
            if views():
                break
            threading.Event().wait(0.05)
        assert len(views()) == 1
        tracking.tracker(app).flusher.stop()


def test_with_redis_stopped_mid_run_pages_render_and_views_are_kept(
    tmp_path: Path, database_url: str
) -> None:
    settings = {"ANALYTICS_ENABLED": True, "ANALYTICS_FLUSH_SECONDS": 0,
                "REDIS_URL": need_service("INKSTAND_TEST_REDIS_URL", "Redis"),
                "REDIS_PREFIX": f"inkstand-test-{uuid.uuid4().hex[:12]}"}  # fmt: skip
    with separate_app(tmp_path, database_url, **settings) as app:
        buffer = tracking.tracker(app).buffer
        assert isinstance(buffer, buffers.RedisBuffer)
        assert read(app) == 200
        working, buffer.connection = (
            buffer.connection,
            Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.25),
        )  # Redis stops: nothing answers on that port
        assert [read(app) for _ in range(3)] == [200, 200, 200]
        assert len(buffer.fallback) == 3
        buffer.connection = working  # Redis is back
        assert tracking.tracker(app).flush() == 4
        assert len(views()) == 4
        buffer.connection.delete(buffer.key)
        buffer.connection.close()


def test_views_older_than_the_salts_keep_their_day(site: Flask) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    services.salt_for(db.session, yesterday.date())
    assert db.session.get(VisitorSalt, yesterday.date()) is not None


def test_two_processes_flushing_at_once_write_each_view_once(
    tmp_path: Path, database_url: str
) -> None:
    """Two `inkstand stats flush` processes take batches from one Redis list together."""
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    settings = {"ANALYTICS_ENABLED": True, "ANALYTICS_FLUSH_SECONDS": 0, "REDIS_URL": url,
                "REDIS_PREFIX": prefix}  # fmt: skip
    with separate_app(tmp_path, database_url, **settings) as app:
        client = app.test_client()
        for number in range(400):
            client.get(f"/?utm_campaign=c{number}", headers={"User-Agent": FIREFOX})
        env = {**os.environ, "INKSTAND_DATABASE_URL": database_url, "INKSTAND_REDIS_URL": url,
               "INKSTAND_REDIS_PREFIX": prefix, "INKSTAND_ANALYTICS_BATCH_SIZE": "7",
               "INKSTAND_ANALYTICS_FLUSH_SECONDS": "0", "INKSTAND_SECRET_KEY": "t" * 64,
               "INKSTAND_INSTANCE_PATH": str(tmp_path)}  # fmt: skip
        inkstand = str(Path(sys.executable).parent / "inkstand")
        flushers = [
            subprocess.Popen(
                [inkstand, "stats", "flush"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [flusher.communicate(timeout=60) for flusher in flushers]
        assert all(f.returncode == 0 for f in flushers), outputs
        written = [int(out.split()[0]) for out, _ in outputs]
        assert sum(written) == 400
        rows = db.session.execute(
            select(PageView.utm_campaign, func.count()).group_by(PageView.utm_campaign)
        ).all()
        assert len(rows) == 400
        assert {count for _, count in rows} == {1}


def test_the_periodic_work_rolls_up_once_a_day(site: Flask) -> None:
    seed_views(days_ago=2)
    tracker = tracking.tracker(site)
    now = datetime.now(UTC).replace(hour=12)  # well past the roll-up's wait after midnight
    assert len(tracker.roll_up(now)) == 2  # the day of the views, and yesterday
    assert tracker.roll_up(now) == []  # the same day again: nothing asked of the database
    assert tracker.roll_up(now + timedelta(days=1)) == [now.date()]
