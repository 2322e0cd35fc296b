"""Probes for whatever supervises the processes: /healthz and /readyz.

They are answered by WSGI middleware in front of the app, before Flask routes
anything: no session, no host check (a load balancer probes by address), no rate
limit, no page cache, no recorded page view, and nothing in gunicorn's access log
(``logs.AccessLog``). ``/healthz`` says the process is alive; ``/readyz`` that the
database, and Redis when configured, answer within READY_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from inkstand import backends
from inkstand.extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

ALIVE = "/healthz"
READY = "/readyz"
PROBES = frozenset({ALIVE, READY})

# Checks run on threads of their own so a probe answers within its timeout even
# while a check hangs (a database behind a dead network waits for TCP's timeout).
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readiness")


def init_app(app: Flask) -> None:
    app.wsgi_app = Probes(app.wsgi_app, app)  # type: ignore[method-assign]


def database_answers(app: Flask) -> bool:
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
    return True


def readiness(app: Flask) -> dict[str, str]:
    """Each dependency's state: "ok", "failing" or "timeout"."""
    timeout = float(app.config["READY_TIMEOUT_SECONDS"])
    chosen = backends.get(app)
    checks: dict[str, Callable[[], bool]] = {"database": lambda: database_answers(app)}
    if chosen.shared:
        checks["redis"] = lambda: chosen.redis_answers(timeout)
    running = {name: _checks.submit(check) for name, check in checks.items()}
    states = {}
    for name, future in running.items():
        try:
            states[name] = "ok" if future.result(timeout=timeout) else "failing"
        except Timeout:
            states[name] = "timeout"
    return states


class Probes:
    """Answer the probes; pass every other request to the app."""

    def __init__(self, wsgi: WSGIApplication, app: Flask) -> None:
        self.wsgi = wsgi
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in PROBES:
            return self.wsgi(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method not in {"GET", "HEAD"}:
            return _answer(start_response, method, "405 Method Not Allowed",
                           {"status": "GET only"}, [("Allow", "GET, HEAD")])  # fmt: skip
        if path == ALIVE:
            return _answer(start_response, method, "200 OK", {"status": "alive"})
        checks = readiness(self.app)
        ready = all(state == "ok" for state in checks.values())
        status = "200 OK" if ready else "503 Service Unavailable"
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return _answer(start_response, method, status, body)


def _answer(
    start_response: StartResponse, method: str | None, status: str, body: dict[str, Any],
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:  # fmt: skip
    data = json.dumps(body).encode()
    start_response(status, [
        ("Content-Type", "application/json"), ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"), *(extra or []),
    ])  # fmt: skip
    return [] if method == "HEAD" else [data]
