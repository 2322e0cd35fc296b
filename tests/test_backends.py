"""Where shared state lives is chosen once, from REDIS_URL: without it the page cache,
the rate limits, the event bus and the jobs stay in the process; with it every one
of them goes through Redis, under the site's prefix."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask_migrate import upgrade

from inkstand import backends, create_app, events, rediscache, runtime
from inkstand.config import DEFAULTS
from inkstand.extensions import cache
from inkstand.jobs import InlineJobs, RQJobs
from tests.helpers import build_app, free_port, need_service, submit

REDIS = "redis://127.0.0.1:6379/0"  # never contacted: choosing connects to nothing


def _app(tmp_path: Path, **overrides: object) -> Flask:
    return create_app({"SECRET_KEY": "x", **overrides}, instance_path=str(tmp_path))


def test_without_redis_everything_stays_in_the_process(tmp_path):
    app = _app(tmp_path)
    assert not backends.get(app).shared
    assert app.config["CACHE_TYPE"] == "inkstand.backends.BoundedSimpleCache"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert isinstance(events.bus(app), events.LocalBus)
    with app.app_context():
        assert isinstance(runtime.get().jobs, InlineJobs)


def test_with_redis_everything_goes_through_it_under_the_prefix(tmp_path):
    app = _app(tmp_path, REDIS_URL=REDIS, REDIS_PREFIX="blog-a", JOBS_QUEUE="blog-a-jobs")
    assert backends.get(app).shared
    assert app.config["CACHE_TYPE"] == "inkstand.rediscache.FailOpenRedisCache"
    assert app.config["CACHE_REDIS_URL"] == REDIS
    assert app.config["CACHE_KEY_PREFIX"] == "blog-a:"
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS
    assert app.config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"] == "blog-a-limits"
    bus = events.bus(app)
    assert isinstance(bus, events.RedisBus)
    bus.close()
    with app.app_context():
        jobs = runtime.get().jobs
        assert isinstance(jobs, RQJobs)
        assert jobs.queue_name == "blog-a-jobs"
        jobs.connection.close()


def test_an_empty_redis_url_is_no_redis():
    chosen = backends.Backends.from_config({**DEFAULTS, "REDIS_URL": ""})
    assert not chosen.shared
    assert chosen.limiter_settings()["RATELIMIT_STORAGE_URI"] == "memory://"


def test_settings_given_explicitly_win_over_the_choice(tmp_path):
    app = _app(tmp_path, REDIS_URL=REDIS, CACHE_KEY_PREFIX="mine:")
    assert app.config["CACHE_KEY_PREFIX"] == "mine:"
    events.bus(app).close()


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "a:b"])
def test_a_bad_queue_name_is_refused(name):
    with pytest.raises(ValueError, match="JOBS_QUEUE"):
        backends.Backends.from_config({**DEFAULTS, "JOBS_QUEUE": name})


def test_no_other_module_reads_redis_url():
    source = Path(backends.__file__).parent
    readers = {
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if '"REDIS_URL"' in path.read_text() or "'REDIS_URL'" in path.read_text()
    }
    assert readers <= {"backends.py", "config.py"}


def test_with_a_real_redis_the_cache_and_the_bus_share_it(tmp_path):
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    app = _app(tmp_path, REDIS_URL=url, REDIS_PREFIX=prefix)
    client = redis.Redis.from_url(url)
    bus = events.bus(app)
    try:
        with app.app_context():
            cache.set("page", "drawn")
            assert client.get(f"{prefix}:page") is not None
        with bus.subscribe("post:1:comments") as heard:
            events.RedisBus.from_url(url, f"{prefix}:events:").publish("post:1:comments", "7")
            assert heard.wait(5) == ["7"]
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()
        bus.close()


def test_while_redis_is_unreachable_pages_are_served_and_limits_hold_per_process(tmp_path):
    """Redis stopped: the page cache goes without (every page rendered), the rate limits
    count in the process's memory, and nothing answers 500."""
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = build_app(
        tmp_path, f"sqlite:///{tmp_path / 'inkstand.sqlite3'}", REDIS_URL=down,
        PAGE_CACHE_SECONDS=300, LOGIN_LIMITS_PER_ADDRESS="3 per minute",
    )  # fmt: skip
    with app.app_context():
        upgrade()
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(2)] == [200, 200]
    assert isinstance(cache.cache, rediscache.FailOpenRedisCache)
    fails = [
        submit(client, "/login", {"login": f"guess{n}", "password": "wrong"}).status_code
        for n in range(4)
    ]
    assert fails == [422, 422, 422, 429]
    events.bus(app).close()


def test_the_page_cache_is_back_in_redis_once_it_answers(tmp_path):
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    app = _app(tmp_path, REDIS_URL=url, REDIS_PREFIX=prefix)
    with app.app_context():
        stored = cache.cache
        assert isinstance(stored, rediscache.FailOpenRedisCache)
        working = stored._write_client
        down = redis.Redis(port=free_port(), **backends.fail_fast())
        stored._write_client = stored._read_client = down
        assert stored.set("page", "kept") is False  # unreachable: not kept, no error
        assert stored.get("page") is None
        assert stored.get_many("page", "other") == [None, None]
        assert stored.add("page", "kept") is False
        assert stored.has("page") is False
        assert stored.delete("page") is False
        stored._write_client = stored._read_client = working
        assert stored.set("page", "kept")
        assert stored.get("page") == "kept"
        stored.delete("page")
    events.bus(app).close()


def test_the_page_cache_in_the_process_is_bounded_by_bytes_too():
    kept = backends.BoundedSimpleCache(threshold=1000, max_bytes=50_000)
    page = b"x" * 10_000
    for n in range(20):
        kept.set(f"page-{n}", (page, []), timeout=100 + n)  # the newest expire last
    assert 40_000 <= kept.size <= 50_000
    assert kept.get("page-19") is not None  # those expiring first left first
    assert kept.get("page-0") is None
    assert kept.get("page-14") is None

    kept.set("page-19", (b"y" * 100, []), timeout=200)  # a new value replaces the old one's
    kept.delete("page-18")
    assert kept.size == sum(len(value) for _expiry, value in kept._cache.values())
    kept.set("huge", (b"z" * 60_000, []), timeout=1000)  # larger than the whole budget
    assert kept.get("huge") is None
    assert kept.size <= 50_000
    kept.clear()
    assert kept.size == 0


def test_the_page_cache_in_the_process_is_bounded_by_entries_as_before():
    kept = backends.BoundedSimpleCache(threshold=5)
    for n in range(20):
        kept.set(f"page-{n}", (b"x", []), timeout=100 + n)
    assert len(kept._cache) == 5
    assert kept.get("page-19") is not None
