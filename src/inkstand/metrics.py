"""Prometheus metrics at /metrics, correct under several gunicorn workers.

Requests by route and status, their latency, page-cache hits and misses, open live
streams, database connections in use, and (read when scraped) the job queue's depth
and failed jobs. The exporter is WSGI middleware in front of the app, like the
probes: it times every request, and answers /metrics itself, only to a scraper that
sends ``Authorization: Bearer <METRICS_TOKEN>`` (without a token set, /metrics is
not served at all).

Under `inkstand serve`, each worker process writes its figures to files in
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode; serve sets it), and
a scrape, whichever worker answers it, adds up every process's files; gunicorn's
``child_exit`` hook (gunicorn_hooks.py) retires a dead worker's gauges.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event

from inkstand import jobs
from inkstand.extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

PATH = "/metrics"
ROUTE_KEY = "inkstand.route"  # the environ key where the app leaves the matched rule
UNMATCHED = "(unmatched)"  # a request no rule took: refused host, 404, probes

REQUESTS = Counter(
    "inkstand_http_requests", "Requests answered, by route, method and status.",
    ["route", "method", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "inkstand_http_request_duration_seconds", "Time to answer a request, by route.", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
PAGE_CACHE = Counter(
    "inkstand_page_cache_lookups", "Visitors' page-cache lookups, by result.", ["result"]
)
LIVE_STREAMS = Gauge(
    "inkstand_live_streams", "Live comment streams and long polls open now.",
    multiprocess_mode="livesum",
)  # fmt: skip
DB_CONNECTIONS = Gauge(
    "inkstand_db_connections_in_use", "Database connections checked out of the pool now.",
    multiprocess_mode="livesum",
)  # fmt: skip


def init_app(app: Flask, jobs_of: Callable[[], jobs.Jobs]) -> None:
    """Time every request, count the pool's connections, serve /metrics; ``jobs_of``
    gives the app's job queue when scraped."""
    app.wsgi_app = Exporter(app.wsgi_app, app, jobs_of)  # type: ignore[method-assign]
    app.after_request(_name_route)
    with app.app_context():
        pool = db.engine.pool
    event.listen(pool, "checkout", lambda *_: DB_CONNECTIONS.inc())
    event.listen(pool, "checkin", lambda *_: DB_CONNECTIONS.dec())


def _name_route(response: Any) -> Any:
    """Leave the matched rule (its pattern, never the path: one series per route)."""
    if request.url_rule is not None:
        request.environ[ROUTE_KEY] = request.url_rule.rule
    return response


def registry(jobs_of: Callable[[], jobs.Jobs]) -> CollectorRegistry:
    """What a scrape reads: every process's files in multiprocess mode, else this
    process's own figures; and the job queue, read now."""
    found = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(found)
    else:
        for collector in (REQUESTS, LATENCY, PAGE_CACHE, LIVE_STREAMS, DB_CONNECTIONS):
            found.register(collector)
    found.register(QueueCollector(jobs_of))
    return found


class QueueCollector(Collector):
    """The job queue's depth and failed jobs, asked of RQ when scraped (none
    without Redis: jobs then run inline)."""

    def __init__(self, jobs_of: Callable[[], jobs.Jobs]) -> None:
        self.jobs_of = jobs_of

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = self.jobs_of()
        if not isinstance(queue, jobs.RQJobs):
            return
        waiting, failed = queue.depth()
        yield GaugeMetricFamily("inkstand_jobs_waiting", "Jobs waiting for a worker.", waiting)
        yield GaugeMetricFamily("inkstand_jobs_failed", "Jobs that failed, kept by RQ.", failed)


class Exporter:
    """Time and count every request; answer /metrics to a scraper with the token."""

    def __init__(self, wsgi: WSGIApplication, app: Flask, jobs_of: Callable[[], jobs.Jobs]) -> None:
        self.wsgi = wsgi
        self.app = app
        self.jobs_of = jobs_of

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH and self.app.config["METRICS_TOKEN"]:
            return self.scrape(environ, start_response)
        started = time.perf_counter()
        status = ["500"]

        def start(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        try:
            return self.wsgi(environ, start)
        finally:
            route = environ.get(ROUTE_KEY, UNMATCHED)
            REQUESTS.labels(route, environ.get("REQUEST_METHOD", "-"), status[0]).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)

    def scrape(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        given = environ.get("HTTP_AUTHORIZATION", "")
        expected = f"Bearer {self.app.config['METRICS_TOKEN']}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            start_response("401 Unauthorized", [
                ("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store"),
                ("WWW-Authenticate", 'Bearer realm="metrics"'),
            ])  # fmt: skip
            return [b"Send the metrics token: Authorization: Bearer <METRICS_TOKEN>\n"]
        with self.app.app_context():
            data = generate_latest(registry(self.jobs_of))
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                  ("Cache-Control", "no-store")])  # fmt: skip
        return [data]
