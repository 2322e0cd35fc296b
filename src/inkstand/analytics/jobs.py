"""The periodic flush of buffered page views, and the daily roll-up, as a job of RQ's
scheduler (with Redis).

Each run writes what the buffer holds, then schedules the next run one interval
later. A run's job id names its time slot, so every worker that schedules the same
slot schedules one job; and a flush takes each batch atomically, so two runs at once
never write a view twice.
"""

from __future__ import annotations

from flask import Flask, current_app

from inkstand import jobs, runtime
from inkstand.analytics import tracking
from inkstand.db import utcnow


def flush_views() -> None:
    """Job: write the buffered page views (and once a day roll up the finished days),
    then schedule the next run."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        found = tracking.tracker(app)
        found.flush()
        found.roll_up(utcnow())
    finally:
        schedule_flush(app)


def schedule_flush(app: Flask) -> bool:
    """Schedule the next flush at the next multiple of ANALYTICS_FLUSH_SECONDS; False
    when there is nothing to schedule on (no Redis, recording or interval off)."""
    if tracking.EXTENSION not in app.extensions:
        return False
    path = f"{__name__}.{flush_views.__name__}"
    interval = app.config["ANALYTICS_FLUSH_SECONDS"]
    return jobs.schedule_next(runtime.get().jobs, path, interval, "analytics-flush")
