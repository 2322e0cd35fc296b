"""The flush as a job of RQ's scheduler: each run schedules the next, once per slot."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from inkstand import runtime, worker
from inkstand.analytics import jobs, tracking
from inkstand.analytics.models import PageView
from inkstand.extensions import db
from inkstand.jobs import RQJobs
from tests.helpers import need_service, one_slot, separate_app

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """A site recording views into Redis, with no flusher thread of its own."""
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    settings = {"ANALYTICS_ENABLED": True, "ANALYTICS_FLUSH_SECONDS": 0, "REDIS_URL": url,
                "REDIS_PREFIX": f"inkstand-test-{uuid.uuid4().hex[:12]}"}  # fmt: skip
    with separate_app(tmp_path, database_url, **settings) as app:
        app.config["ANALYTICS_FLUSH_SECONDS"] = 1  # for the scheduled runs only
        yield app
        buffer = tracking.tracker(app).buffer
        buffer.connection.delete(buffer.key)  # type: ignore[attr-defined]


def scheduled() -> list[str]:
    jobs_ = runtime.get().jobs
    assert isinstance(jobs_, RQJobs)
    registry = ScheduledJobRegistry(queue=jobs_.queue())
    return list(registry.get_job_ids())


def stored_views() -> int:
    return db.session.scalar(select(func.count()).select_from(PageView)) or 0


def test_scheduling_the_same_slot_twice_schedules_one_run(site: Flask) -> None:
    with one_slot():
        assert jobs.schedule_flush(site)
        assert jobs.schedule_flush(site)
    assert len(scheduled()) == 1


def test_a_run_flushes_and_schedules_the_next(site: Flask) -> None:
    client = site.test_client()
    for _ in range(4):
        client.get("/", headers={"User-Agent": FIREFOX})
    jobs.flush_views()
    assert stored_views() == 4
    assert len(scheduled()) == 1


def test_a_worker_with_its_scheduler_runs_the_flush(site: Flask) -> None:
    site.test_client().get("/", headers={"User-Agent": FIREFOX})
    assert jobs.schedule_flush(site)
    time.sleep(1.1)  # the slot's time comes
    jobs_ = runtime.get().jobs
    assert isinstance(jobs_, RQJobs)
    worker.make(site, jobs_, simple=True).work(burst=True, with_scheduler=True)
    db.session.remove()
    assert stored_views() == 1


def test_without_redis_nothing_is_scheduled(tmp_path: Path, database_url: str) -> None:
    with separate_app(tmp_path, database_url, ANALYTICS_ENABLED=True) as app:
        assert not jobs.schedule_flush(app)
