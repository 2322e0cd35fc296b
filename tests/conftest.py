"""Fixtures: an app per database engine, a clean database per test, and helpers.

Every test that uses ``app`` runs twice: on SQLite and on the PostgreSQL
server named by INKSTAND_TEST_DATABASE_URL (a fresh database per run, dropped
after). Without that variable the PostgreSQL runs skip with the reason, except
when INKSTAND_REQUIRE_SERVICES=1 (CI), where a missing service fails the run.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from inkstand import jobs
from inkstand.blog import counts
from inkstand.extensions import db, limiter
from inkstand.media.storage import FileStorage
from tests.helpers import (
    Client,
    Factory,
    build_app,
    need_service,
    new_postgres_database,
    recorded_sql,
    separate_app,
)


@pytest.fixture(autouse=True)
def _no_periodic_thread_outlives_its_test() -> Iterator[None]:
    """Every test, whatever app it builds, stops the periodic threads it started (the
    trash purge, the newsletter sweep, the analytics flush): one left running writes to
    this run's database in the middle of later tests and their clean-up."""
    before = set(threading.enumerate())
    yield
    left = [
        thread.name
        for thread in threading.enumerate()
        if thread not in before and thread.name.startswith(jobs.THREAD_PREFIX)
    ]
    assert not left, f"periodic threads still running after the test: {left}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, empty, on each engine: for a test of migrations, which
    takes it down and up again."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.sqlite3'}"
        return
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'inkstand.sqlite3'}"


@pytest.fixture(scope="session")
def _migrated_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app per engine, its database built by the real migrations."""
    app = build_app(tmp_path_factory.mktemp("instance"), database_url)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_migrated_app: Flask) -> Iterator[Flask]:
    """The app, with every table and the media folder emptied after the test."""
    with _migrated_app.app_context():
        yield _migrated_app
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()
        _migrated_app.extensions[counts.KEPT].forget()  # its tables emptied behind its back
        media = _migrated_app.extensions["inkstand.media"]
        if isinstance(media, FileStorage):
            shutil.rmtree(media.root, ignore_errors=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


@pytest.fixture
def queries(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run while the test runs."""
    with recorded_sql() as statements:
        yield statements


@pytest.fixture
def rq_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An app whose jobs go to a queue of its own in the test Redis; every key of
    that queue is removed after, and checked."""
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    with separate_app(tmp_path, database_url, REDIS_URL=url) as app:
        name = app.config["JOBS_QUEUE"]
        yield app
    client = redis.Redis.from_url(url)
    assert not list(client.scan_iter(f"*{name}*")), "job keys left behind"
    assert client.sismember("rq:queues", f"rq:queue:{name}") == 0
    client.close()
