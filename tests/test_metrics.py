"""/metrics: Prometheus figures, only for a scraper with the token, added up over
every worker process of a real `inkstand serve`."""

from __future__ import annotations

import http.client
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from inkstand import events, metrics
from inkstand.accounts.models import Role
from tests.helpers import (
    SERVER_HOST,
    Factory,
    page_cached_app,
    process_env,
    separate_app,
    serving,
)

TOKEN = "metrics-test-token"


def scrape(app: Flask, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().get("/metrics", headers=headers)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def site(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return app


def test_metrics_are_not_served_without_a_token_configured(app: Flask) -> None:
    assert app.config["METRICS_TOKEN"] == ""
    assert scrape(app).status_code == 404


@pytest.mark.parametrize("token", [None, "wrong", TOKEN + "x", TOKEN.upper()])
def test_metrics_are_refused_without_the_right_token(site: Flask, token: str | None) -> None:
    response = scrape(site, token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"inkstand_" not in response.data


def test_requests_are_counted_by_route_pattern_method_and_status(
    site: Flask, factory: Factory
) -> None:
    author = factory.user(Role.AUTHOR)
    slugs = [factory.post(author, f"Counted {n}").slug for n in range(3)]
    before = samples(scrape(site).text)
    client = site.test_client()
    for slug in slugs:
        assert client.get(f"/posts/{slug}").status_code == 200
    assert client.get("/posts/no-such-post").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    after = samples(scrape(site).text)

    def grew(**labels: str) -> float:
        name = "inkstand_http_requests_total"
        return value(after, name, **labels) - value(before, name, **labels)

    # One series per route, never per path: a scrape stays small however many posts.
    assert grew(route="/posts/<slug>", method="GET", status="200") == 3
    assert grew(route="/posts/<slug>", method="GET", status="404") == 1
    assert grew(route=metrics.UNMATCHED, method="GET", status="404") == 1
    assert not any("Counted" in str(labels) for _, labels in after)
    assert value(after, "inkstand_http_request_duration_seconds_count", route="/posts/<slug>") >= 4


def test_probes_and_scrapes_do_not_count_as_requests(site: Flask) -> None:
    before = samples(scrape(site).text)
    site.test_client().get("/healthz")
    after = samples(scrape(site).text)
    assert value(after, "inkstand_http_requests_total", route=metrics.UNMATCHED,
                 method="GET", status="200") == value(before, "inkstand_http_requests_total",
                 route=metrics.UNMATCHED, method="GET", status="200")  # fmt: skip


def test_page_cache_hits_and_misses_are_counted(database_url: str, tmp_path: Path) -> None:
    with page_cached_app("memory", tmp_path, database_url, METRICS_TOKEN=TOKEN) as app:
        before = samples(scrape(app).text)
        for _ in range(3):
            assert app.test_client().get("/").status_code == 200
        after = samples(scrape(app).text)
    name = "inkstand_page_cache_lookups_total"
    assert value(after, name, result="miss") - value(before, name, result="miss") == 1
    assert value(after, name, result="hit") - value(before, name, result="hit") == 2


def test_open_live_streams_are_a_gauge(site: Flask) -> None:
    bus = events.LocalBus()
    before = value(samples(scrape(site).text), "inkstand_live_streams")
    with bus.subscribe("post:1"), bus.subscribe("post:2"):
        assert value(samples(scrape(site).text), "inkstand_live_streams") == before + 2
    assert value(samples(scrape(site).text), "inkstand_live_streams") == before


def test_database_connections_in_use_return_to_the_pool(site: Flask) -> None:
    from inkstand.extensions import db

    idle = value(samples(scrape(site).text), "inkstand_db_connections_in_use")
    with db.engine.connect():
        assert value(samples(scrape(site).text), "inkstand_db_connections_in_use") == idle + 1
    assert value(samples(scrape(site).text), "inkstand_db_connections_in_use") == idle


def test_the_job_queue_is_read_when_scraped(rq_app: Flask) -> None:
    rq_app.config["METRICS_TOKEN"] = TOKEN
    from inkstand import runtime

    with rq_app.app_context():
        runtime.get().jobs.enqueue("inkstand.comments.jobs.mail_post_author", 1)
    found = samples(scrape(rq_app).text)
    assert value(found, "inkstand_jobs_waiting") == 1
    assert value(found, "inkstand_jobs_failed") == 0


def test_without_redis_there_is_no_queue_to_report(site: Flask) -> None:
    assert "inkstand_jobs_waiting" not in scrape(site).text


def test_every_worker_of_a_real_server_is_counted(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'inkstand.sqlite3'}"
    with separate_app(tmp_path / "setup", database_url):
        pass  # migrated
    env = process_env(DATABASE_URL=database_url, SECRET_KEY="metrics-key", METRICS_TOKEN=TOKEN)
    with serving(tmp_path, env, ("site",), "--workers", "3") as (base,):
        port = int(base.rsplit(":", 1)[1])
        for _ in range(60):  # new connections: the kernel spreads them over the workers
            connection = http.client.HTTPConnection(SERVER_HOST, port, timeout=10)
            connection.request("GET", "/")
            assert connection.getresponse().status == 200
            connection.close()
        connection = http.client.HTTPConnection(SERVER_HOST, port, timeout=10)
        connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        assert response.status == 200
        found = samples(response.read().decode())
        connection.close()
    # The 60, and the one GET / by which the test saw the server was up.
    assert value(found, "inkstand_http_requests_total", route="/", method="GET",
                 status="200") == 61  # fmt: skip
    assert (tmp_path / "site" / "metrics").is_dir()
