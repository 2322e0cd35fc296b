"""The logs: Inkstand's own, and gunicorn's access log, with a request id on every line.

Each request gets an id: the one a trusted proxy sent in ``X-Request-ID`` (only
with PROXY_COUNT set: a client could write anything there), else a new one. It is
returned in the response's ``X-Request-ID`` and carried by every line logged while
the request runs, and by its access-log line. LOG_FORMAT chooses text lines (the
default) or one JSON object per line for a log collector.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, g, has_request_context, request
from gunicorn.glogging import Logger

from inkstand.health import PROBES

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

HEADER = "X-Request-ID"
ENVIRON_HEADER = "HTTP_X_REQUEST_ID"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
ACCESS_FORMAT = '%(h)s - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms %({x-request-id}o)s'
# What a proxy's id may hold: enough for a UUID or a trace id, nothing to break a line.
_VALID_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}\Z")


FORMATS = ("text", "json")


def init_app(app: Flask) -> None:
    """Raises ValueError for a LOG_FORMAT that is neither text nor json."""
    if app.config["LOG_FORMAT"] not in FORMATS:
        raise ValueError(f"LOG_FORMAT {app.config['LOG_FORMAT']!r}: use text or json")
    log = logging.getLogger("inkstand")
    log.setLevel(app.config["LOG_LEVEL"])
    # Under a server that configured logging already (or a test runner), use its handlers.
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(app.config["LOG_FORMAT"]))
        handler.addFilter(add_request_id)
        log.addHandler(handler)
    app.after_request(_return_request_id)


def formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else logging.Formatter(FORMAT)


def request_id() -> str:
    """This request's id: the trusted proxy's, else one made for it."""
    if "request_id" not in g:
        g.request_id = id_for(request.environ, current_app.config["PROXY_COUNT"])
    found: str = g.request_id
    return found


def id_for(environ: WSGIEnvironment, proxies: int) -> str:
    """The id of the request in ``environ``: the one a trusted proxy gave it (behind
    ``proxies`` of them), else a new one."""
    given = environ.get(ENVIRON_HEADER, "")
    return given if proxies and _VALID_ID.match(given) else uuid.uuid4().hex


def add_request_id(record: logging.LogRecord) -> bool:
    """A logging filter: every record carries the request id, "-" outside a request."""
    record.request_id = request_id() if has_request_context() else "-"
    return True


def _return_request_id(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class AccessLog(Logger):
    """gunicorn's logger, with the request id on each access line and none for the
    probes (asked every few seconds, they would drown the lines that matter)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get("PATH_INFO") in PROBES:
            return
        super().access(resp, req, environ, request_time)


class JsonAccessLog(AccessLog):
    """The access log as one JSON object per line (LOG_FORMAT=json)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get("PATH_INFO") in PROBES or not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "client": atoms["h"], "method": atoms["m"], "path": atoms["U"],
            "query": atoms["q"] or "", "status": int(atoms["s"]), "bytes": atoms["B"] or 0,
            "ms": atoms["M"], "referrer": atoms["f"], "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o", "-"),
        }  # fmt: skip
        self.access_log.info(json.dumps(line, ensure_ascii=False))
