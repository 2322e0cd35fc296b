"""Visitors in the last five minutes, live: a flush rings the dashboards' stream, on the
in-process bus and over Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from inkstand.analytics import tracking
from tests.helpers import Factory, login, need_service, separate_app

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(params=["in-process", "redis"])
def site(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    settings: dict[str, object] = {
        "ANALYTICS_ENABLED": True,
        "ANALYTICS_FLUSH_SECONDS": 0,
        "LIVE_HEARTBEAT_SECONDS": 5,
        "LIVE_STREAM_SECONDS": 20,
    }
    if request.param == "redis":
        settings["REDIS_URL"] = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        settings["REDIS_PREFIX"] = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    with separate_app(tmp_path, database_url, **settings) as app:
        yield app
        buffer = tracking.tracker(app).buffer
        if hasattr(buffer, "connection"):
            buffer.connection.delete(buffer.key)
        app.extensions["inkstand.events"].close()


def test_a_flush_updates_the_open_dashboards_at_once(site: Flask) -> None:
    admin = Factory(site).user("admin", "boss")
    client = site.test_client()
    login(client, admin)
    tracking.tracker(site).flush()  # the log-in page was a view too
    response = client.get("/stats/live", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    try:
        assert next(chunks).startswith(b"retry:")
        assert next(chunks) == b'data: {"live": 1}\n\n'
        for agent in (FIREFOX, FIREFOX + " other"):
            site.test_client().get("/", headers={"User-Agent": agent})
        started = time.monotonic()
        assert tracking.tracker(site).flush() == 2
        assert next(chunks) == b'data: {"live": 3}\n\n'
        assert time.monotonic() - started < 2  # the bell, not the five-second heartbeat
    finally:
        response.close()


def test_readers_and_visitors_have_no_stream(site: Flask) -> None:
    reader = Factory(site).user("reader", "carl")
    assert site.test_client().get("/stats/live").status_code == 302
    client = site.test_client()
    login(client, reader)
    assert client.get("/stats/live").status_code == 403


def test_without_script_the_page_shows_the_number_as_drawn(site: Flask) -> None:
    admin = Factory(site).user("admin", "boss")
    site.test_client().get("/", headers={"User-Agent": FIREFOX})
    tracking.tracker(site).flush()
    client = site.test_client()
    login(client, admin)
    tracking.tracker(site).flush()
    page = client.get("/stats").get_data(as_text=True)
    assert 'data-stream="/stats/live" aria-live="polite">2</dd>' in page  # with the log-in page
    assert "js/stats" in page
