"""Purging the trash as periodic work: a job of RQ's scheduler with Redis, a thread of
the app process without it (the embedded default), and ``inkstand trash purge``.

Like the analytics flush (analytics/jobs.py), each run schedules the next one
TRASH_PURGE_SECONDS later under a job id naming its time slot, so every worker that
schedules the same slot schedules one job; a purge is one DELETE statement, so two at
once do no harm.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app

from inkstand import jobs, runtime
from inkstand.blog.services import trash
from inkstand.db import utcnow
from inkstand.extensions import db

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
    path = f"{__name__}.{purge_trash.__name__}"
    return jobs.schedule_next(runtime.get().jobs, path, app.config["TRASH_PURGE_SECONDS"],
                              "trash-purge")  # fmt: skip


def init_app(app: Flask) -> None:
    """Purge by a thread of each process when jobs run inline (no Redis)."""
    interval: float = app.config["TRASH_PURGE_SECONDS"]
    if interval <= 0 or isinstance(app.extensions["inkstand"].jobs, jobs.RQJobs):
        return
    purger = app.extensions[EXTENSION] = jobs.Every(
        "trash-purge", interval, lambda: purge(app), at_start=True
    )
    app.before_request(purger.start)
