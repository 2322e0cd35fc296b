"""gunicorn workers whose own error answers speak JSON to API clients.

gunicorn refuses some requests before the app sees them (a request line or headers too
large, a malformed request line or header) and answers with a small HTML page of its
own. These workers answer the same status in the shape of the door instead: problem
details (RFC 9457) under /api/v1, ``{"errors": {"body": [...]}}`` under the RealWorld
/api, gunicorn's page for the site. A request line too large to read names no path; its
answer is a problem document that also carries ``errors.body``, which a client of either
API reads. `inkstand serve` runs them (commands.py).
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn.http import errors as http_errors
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker as _GunicornThreadWorker

from inkstand.api.v1 import problems

REALWORLD_PREFIX = "/api"  # as api/realworld/blueprint.py; imported here it would build the app

# The errors of a request gunicorn could not read, with the status it gives each.
STATUSES: tuple[tuple[type[Exception], int, str], ...] = (
    (http_errors.LimitRequestLine, 414, "The request line is too long."),
    (http_errors.LimitRequestHeaders, 431, "The request's headers are too large."),
    (http_errors.UnsupportedTransferCoding, 501, "That transfer coding is not supported."),
    (http_errors.ExpectationFailed, 417, "That expectation cannot be met."),
    (http_errors.ForbiddenProxyRequest, 403, "Requests through that proxy are refused."),
    (http_errors.ParseException, 400, "The request could not be read."),
)
LINGER_SECONDS, LINGER_READS = 0.5, 16

REASONS = {400: "Bad Request", 403: "Forbidden", 414: "URI Too Long", 417: "Expectation Failed",
           431: "Request Header Fields Too Large", 501: "Not Implemented"}  # fmt: skip


def refusal(exc: Exception) -> tuple[int, str] | None:
    """The status and message of a request gunicorn could not read; None for an error
    of the app's (gunicorn's own 500 stands)."""
    if isinstance(exc, http_errors.ConfigurationProblem):
        return None
    for kind, status, message in STATUSES:
        if isinstance(exc, kind):
            return status, message
    return None


def answer(path: str | None, status: int, message: str) -> bytes | None:
    """The whole HTTP answer for a request to ``path`` (None: unknown) refused before
    the app ran; None for the site, whose clients get gunicorn's page."""
    realworld = path == REALWORLD_PREFIX or (path or "").startswith(REALWORLD_PREFIX + "/")
    if path is not None and not realworld:
        return None
    if path is not None and not problems.applies(path):
        body: dict[str, Any] = {"errors": {"body": [message]}}
        media_type = "application/json"
    else:
        kind, title = problems.BY_STATUS.get(status, ("bad-request", "Bad request"))
        body = {"type": problems.TYPE_BASE + kind, "title": title, "status": status,
                "detail": message, "errors": {"body": [message]}}  # fmt: skip
        media_type = problems.MEDIA_TYPE
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Bad Request')}\r\n"
        f"Connection: close\r\nContent-Type: {media_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("latin-1") + payload


class JsonErrors:
    """Answers requests gunicorn refuses in the shape of their door (see answer)."""

    log: Any

    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        found = refusal(exc)
        req = req or getattr(exc, "req", None)
        path = getattr(req, "path", None)
        written = answer(path, *found) if found is not None else None
        if written is None:
            super().handle_error(req, client, addr, exc)  # type: ignore[misc]
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            write_nonblock(client, written)
            _linger(client)
        except Exception:
            self.log.debug("Failed to send error message.")


def _linger(client: socket.socket) -> None:
    """Read what the client is still sending (the rest of a long line) before the worker
    closes the connection: closed with unread input, it would be reset, and the client
    would lose the answer. Bounded in time and size."""
    client.shutdown(socket.SHUT_WR)
    client.settimeout(LINGER_SECONDS)
    for _ in range(LINGER_READS):
        if not client.recv(65536):
            break


class ThreadWorker(JsonErrors, _GunicornThreadWorker):
    """gunicorn's gthread worker, with JsonErrors."""


def __getattr__(name: str) -> Any:
    """GeventWorker, made when gunicorn asks for it: importing gevent's worker imports
    gevent, which a gthread server never loads."""
    if name != "GeventWorker":
        raise AttributeError(name)
    from gunicorn.workers.ggevent import GeventWorker

    worker = type("GeventWorker", (JsonErrors, GeventWorker), {"__module__": __name__})
    globals()[name] = worker
    return worker
