"""The database restarting under requests (its connections cut, as PostgreSQL's fast
shutdown or a failover does): the requests caught answer 503 or keep their answer,
nothing answers 500, no connection is leaked, and the next requests are served
without restarting anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from inkstand.extensions import db
from tests.helpers import separate_app

pytestmark = pytest.mark.postgres


def _cut(pid: int) -> None:
    """Terminate the server process of connection ``pid`` from another connection."""
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.fixture
def cut_app(postgres_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app with two routes whose own connection the database cuts: after the work
    (at the end of the request) and in the middle of it."""
    with separate_app(tmp_path, postgres_url) as app:

        @app.get("/test/cut-after")
        def cut_after() -> str:
            _cut(db.session.scalar(select(func.pg_backend_pid())))
            return "done"

        @app.get("/test/cut-during")
        def cut_during() -> str:
            _cut(db.session.scalar(select(func.pg_backend_pid())))
            db.session.scalar(select(1))  # the connection is gone
            return "not reached"

        yield app


def test_a_connection_cut_after_the_work_keeps_the_answer_and_leaks_nothing(cut_app: Flask):
    client = cut_app.test_client()
    response = client.get("/test/cut-after")
    assert (response.status_code, response.text) == (200, "done")
    assert db.engine.pool.checkedout() == 0
    assert client.get("/").status_code == 200


def test_a_connection_cut_in_the_middle_is_a_503_and_the_next_request_is_served(cut_app: Flask):
    client = cut_app.test_client()
    response = client.get("/test/cut-during")
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert db.engine.pool.checkedout() == 0
    assert client.get("/").status_code == 200
