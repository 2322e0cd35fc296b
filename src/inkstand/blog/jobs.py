"""Purging the trash as periodic work: a job of RQ's scheduler with Redis, a thread of
the app process without it (the embedded default), and ``inkstand trash purge``.

Like the analytics flush (analytics/jobs.py), each run schedules the next one
TRASH_PURGE_SECONDS later under a job id naming its time slot, so every worker that
schedules the same slot schedules one job; a purge is one DELETE statement, so two at
once do no harm.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from datetime import UTC, datetime

from flask import Flask, current_app

from inkstand import runtime
from inkstand.blog.services import trash
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.jobs import RQJobs

log = logging.getLogger(__name__)
EXTENSION = "inkstand.blog.purger"


def purge(app: Flask) -> int:
    """Purge what has been in the trash for TRASH_DAYS, in an app context of its own."""
    with app.app_context():
        try:
            return trash.purge(db.session, utcnow(), app.config["TRASH_DAYS"])
        finally:
            db.session.remove()


def purge_trash() -> None:
    """Job: purge the trash, then schedule the next purge."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        purge(app)
    finally:
        schedule_purge(app)


def schedule_purge(app: Flask) -> bool:
    """Schedule the next purge at the next multiple of TRASH_PURGE_SECONDS; False when
    there is nothing to schedule on (no Redis, or the interval is 0)."""
    jobs = runtime.get().jobs
    interval: float = app.config["TRASH_PURGE_SECONDS"]
    if not isinstance(jobs, RQJobs) or interval <= 0:
        return False
    slot = math.floor(utcnow().timestamp() / interval) + 1
    at = datetime.fromtimestamp(slot * interval, UTC)
    jobs.schedule(f"{__name__}.{purge_trash.__name__}", at, f"trash-purge-{slot}")
    return True


class Purger:
    """Without Redis, a thread of the app process purges the trash every interval;
    started on the first request (again in a forked child)."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="trash-purge", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                purge(self.app)
            except Exception:  # the thread outlives a failed purge; the next one retries
                log.exception("trash purge failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()


def init_app(app: Flask) -> None:
    """Purge by a thread of each process when jobs run inline (no Redis)."""
    interval: float = app.config["TRASH_PURGE_SECONDS"]
    if interval <= 0 or isinstance(app.extensions["inkstand"].jobs, RQJobs):
        return
    purger = app.extensions[EXTENSION] = Purger(app, interval)
    app.before_request(purger.start)
