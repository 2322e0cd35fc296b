"""Fixtures: an app per database engine, a clean database per test, and helpers.

Every test that uses ``app`` runs twice: on SQLite and on the PostgreSQL
server named by INKSTAND_TEST_DATABASE_URL (a fresh database per run, dropped
after). Without that variable the PostgreSQL runs skip with the reason, except
when INKSTAND_REQUIRE_SERVICES=1 (CI), where a missing service fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import create_engine

from inkstand import create_app, runtime
from inkstand.extensions import cache, db, limiter
from inkstand.jobs import RQJobs
from tests.helpers import Factory

REQUIRE_SERVICES = os.environ.get("INKSTAND_REQUIRE_SERVICES") == "1"

FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}


def need_service(variable: str, what: str) -> str:
    """The URL of a service a test needs: skip without it, or fail under CI."""
    url = os.environ.get(variable)
    if not url:
        message = f"{what} not configured: set {variable} to run these tests"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    server = make_url(need_service("INKSTAND_TEST_DATABASE_URL", "PostgreSQL"))
    name = f"inkstand_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'inkstand.sqlite3'}"


def build_app(instance: Path, database_url: str, **overrides: Any) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": "inkstand.test",
            **FAST_HASHING,
            "PAGE_CACHE_SECONDS": 0,  # on only where a test is about it (blog/test_pagecache.py)
            "COMMENT_MIN_SECONDS": 0,  # on only where a test is about it (comments/test_spam.py)
            **overrides,
        },
        instance_path=str(instance),
    )
    return app


@contextmanager
def separate_app(instance: Path, database_url: str, **overrides: Any) -> Iterator[Flask]:
    """An app with its own settings on this run's database; emptied and closed after.

    Its cache and rate-limit keys carry a prefix of their own, and its job queue
    that name, so clearing them never touches another app's keys on a shared Redis.
    """
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    overrides.setdefault("CACHE_KEY_PREFIX", f"{prefix}:")
    overrides.setdefault("RATELIMIT_STORAGE_OPTIONS", {"key_prefix": prefix})
    overrides.setdefault("JOBS_QUEUE", prefix)
    app = build_app(instance, database_url, **overrides)
    app.test_client_class = Client
    with app.app_context():
        upgrade()
        try:
            yield app
        finally:
            cache.clear()
            limiter.reset()
            clear_jobs()
            db.session.rollback()
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.engine.dispose()


def clear_jobs() -> None:
    """Remove the app's RQ queue and every key of it (job ids and worker names
    start with the queue's name), if its jobs go to Redis."""
    jobs = runtime.get().jobs
    if isinstance(jobs, RQJobs):
        jobs.queue().delete(delete_jobs=True)
        for key in jobs.connection.scan_iter(f"*{jobs.queue_name}*"):
            jobs.connection.delete(key)
        jobs.connection.close()


@contextmanager
def app_with_limits(
    storage: str, instance: Path, database_url: str, **overrides: Any
) -> Iterator[Flask]:
    """A separate app whose rate limits live in memory or in the test Redis; with
    Redis, it checks that no limit key is left behind."""
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    url = ""
    if storage == "redis":
        url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        overrides.update(REDIS_URL=url, RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix})
    with separate_app(instance, database_url, **overrides) as app:
        yield app
    if url:
        client = redis.Redis.from_url(url)
        assert not list(client.scan_iter(f"{prefix}:*")), "limit keys left behind"
        client.close()


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
    """The app, with every table emptied after the test."""
    with _migrated_app.app_context():
        yield _migrated_app
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()


class Client(FlaskClient):
    """A test client whose every request runs in its own app context, as in
    production: its own ``g`` and database session, not the test's."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


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
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    event.remove(db.engine, "before_cursor_execute", record)
