"""/healthz and /readyz: answered in front of the app, whatever the Host, never
cached, limited or logged; /readyz asks the database, and Redis when configured."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from inkstand import health
from tests.helpers import build_app, need_service, separate_app


def probe(app: Flask, path: str, method: str = "GET", **headers: str) -> Any:
    return app.test_client().open(path, method=method, headers=headers)


@pytest.mark.parametrize("path", sorted(health.PROBES))
def test_a_probe_answers_json_that_nothing_keeps(app: Flask, path: str) -> None:
    response = probe(app, path)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("path", sorted(health.PROBES))
def test_a_load_balancer_probes_by_address_not_by_the_site_name(app: Flask, path: str) -> None:
    assert probe(app, "/", Host="10.0.0.7:8000").status_code == 400  # the site refuses it
    assert probe(app, path, Host="10.0.0.7:8000").status_code == 200


def test_healthz_says_the_process_is_alive(app: Flask) -> None:
    assert probe(app, "/healthz").get_json() == {"status": "alive"}


def test_readyz_asks_the_database(app: Flask) -> None:
    assert probe(app, "/readyz").get_json() == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.parametrize("path", sorted(health.PROBES))
def test_a_probe_is_read_only(app: Flask, path: str) -> None:
    response = probe(app, path, "POST")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    head = probe(app, path, "HEAD")
    assert head.status_code == 200
    assert head.data == b""


def test_probes_are_never_rate_limited(app: Flask) -> None:
    assert {probe(app, "/healthz").status_code for _ in range(300)} == {200}


def test_readyz_fails_while_the_database_does_not_answer(tmp_path: Path) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = build_app(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/inkstand")
    response = probe(app, "/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"database": "failing"}}
    assert probe(app, "/healthz").status_code == 200  # alive all the same


def test_readyz_answers_within_its_timeout_while_a_check_hangs(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    monkeypatch.setattr(health, "database_answers", lambda app: release.wait(10))
    monkeypatch.setitem(app.config, "READY_TIMEOUT_SECONDS", 0.05)
    try:
        response = probe(app, "/readyz")
    finally:
        release.set()
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "timeout"}


def test_readyz_asks_redis_when_the_site_uses_it(tmp_path: Path, database_url: str) -> None:
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    with separate_app(tmp_path / "up", database_url, REDIS_URL=url) as app:
        response = probe(app, "/readyz")
        assert response.status_code == 200
        assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_fails_while_redis_does_not_answer(tmp_path: Path) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    database = f"sqlite:///{tmp_path / 'inkstand.sqlite3'}"
    app = build_app(tmp_path, database, REDIS_URL="redis://127.0.0.1:1/0")
    response = probe(app, "/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "failing"}
