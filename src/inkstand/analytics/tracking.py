"""Recording page views from the web side: an after-request hook that buffers each
view, a listener that does the same for a kept page (the page cache answers it
without Flask: blog/pagecache.py), and the thread that flushes the buffer in batches."""

from __future__ import annotations

import atexit
import logging
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, request
from sqlalchemy.orm import Session

from inkstand import backends, jobs, preload, runtime
from inkstand.analytics import live, recording, services
from inkstand.blog import pagecache
from inkstand.buffers import Buffer
from inkstand.db import utcnow
from inkstand.extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

log = logging.getLogger(__name__)
EXTENSION = "inkstand.analytics"


class Tracker:
    """One app's buffer, its cached salt of the day, and its flusher thread."""

    def __init__(self, app: Flask, buffer: Buffer) -> None:
        self.app = app
        self.buffer = buffer
        self.interval: float = app.config["ANALYTICS_FLUSH_SECONDS"]
        self.batch: int = app.config["ANALYTICS_BATCH_SIZE"]
        self.keep_days: int = app.config["ANALYTICS_KEEP_DAYS"]
        self._salt: tuple[date, str] | None = None
        self._rolled_up: date | None = None  # the day this process last rolled up on
        self.flusher = jobs.Every("analytics-flush", self.interval, self._periodic)
        self._flushes_at_exit = False  # registered once: a forked child inherits it

    def salt(self, day: date) -> str:
        """Today's salt, read from the database once a day per process."""
        known = self._salt
        if known is None or known[0] != day:
            # Its own app context: a kept page is answered without one.
            with self.app.app_context(), Session(db.engine) as session:
                known = (day, services.salt_for(session, day))
            self._salt = known
        return known[1]

    def flush(self) -> int:
        """Write what is buffered; each call in an app context of its own."""
        with self.app.app_context():
            try:
                written = services.flush(db.session, self.buffer, self.batch)
            finally:
                db.session.remove()
        live.ring(self.app, written)
        return written

    def roll_up(self, now: datetime) -> list[date]:
        """Roll up finished days and delete views past retention, once a day per process
        (the first flush after each midnight, with some time for late views)."""
        due = (now - services.ROLL_UP_AFTER).date()
        if self._rolled_up == due:
            return []
        with self.app.app_context():
            try:
                days = services.roll_up(db.session, now, self.keep_days)
            finally:
                db.session.remove()
        self._rolled_up = due
        return days

    def start_flusher(self) -> None:
        """Start this process's flusher thread, once (again in a forked child); what is
        still buffered when the process exits is flushed then."""
        if self.flusher.start_once() and not self._flushes_at_exit:
            self._flushes_at_exit = True  # only the one call that started the thread
            atexit.register(self._last_flush)

    def _periodic(self) -> None:
        self.flush()
        self.roll_up(utcnow())

    def _last_flush(self) -> None:
        self.flusher.stop()
        try:
            self.flush()
        except Exception:
            log.exception("analytics flush at exit failed")


def init_app(app: Flask) -> None:
    if not app.config["ANALYTICS_ENABLED"]:
        return
    app.extensions[EXTENSION] = Tracker(app, backends.get(app).view_buffer())
    app.after_request(_record)
    pagecache.on_hit(app, _record_kept)
    preload.add(app, lambda _app: recording.build_parser())


def tracker(app: Flask | None = None) -> Tracker:
    found: Tracker = (app or current_app).extensions[EXTENSION]
    return found


def _record(response: Response) -> Response:
    """Buffer the answered request if it is a page view: as little work as possible
    here (see recording.record), the rest at the flush."""
    if response.status_code != 200:
        return response
    answered = request._get_current_object()  # type: ignore[attr-defined]
    if answered.method != "GET":
        return response
    environ = answered.environ
    hit = recording.Hit(
        method="GET", path=answered.path, status=200, mimetype=response.mimetype or "",
        environ=environ, query=environ.get("QUERY_STRING", ""),
        address=answered.remote_addr or "",
    )  # fmt: skip
    slug = (answered.view_args or {}).get("slug", "") if answered.endpoint == "blog.show" else ""
    _buffer(current_app, hit, runtime.now(), slug)
    return response


def _record_kept(app: Flask, environ: WSGIEnvironment, page: pagecache.KeptPage) -> None:
    """Buffer a kept page answered by the page cache, as _record does a drawn one."""
    hit = recording.Hit(
        method="GET", path=page.path, status=200, mimetype=page.mimetype, environ=environ,
        query=environ.get("QUERY_STRING", ""), address=environ.get("REMOTE_ADDR") or "",
    )  # fmt: skip
    _buffer(app, hit, utcnow(), page.post_slug)


def _buffer(app: Flask, hit: recording.Hit, now: datetime, slug: str) -> None:
    if not recording.is_page_request(hit):
        return
    found = tracker(app)
    try:
        salt = found.salt(now.date())
    except Exception:  # the page matters more than its count
        log.exception("no visitor salt: page view not recorded")
        return
    found.buffer.add(recording.record(hit, salt, now, hit.environ.get("HTTP_HOST", ""), slug))
    found.start_flusher()
