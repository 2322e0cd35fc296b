"""Visitors in the last five minutes, live on the dashboard.

Each flush that writes views rings a channel on the event bus (every app process
hears it, through Redis when configured); a dashboard's Server-Sent Events stream
counts again when it rings, and at every heartbeat (the five minutes slide on even
when nobody comes), and sends the number when it changed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import Flask, current_app

from inkstand import events
from inkstand.analytics import reading
from inkstand.db import utcnow
from inkstand.extensions import db

CHANNEL = "analytics:views"
RETRY_MS = 5000  # how soon a browser reconnects after a stream ends


def ring(app: Flask, written: int) -> None:
    """Tell every open dashboard that ``written`` views were just written."""
    if written:
        events.bus(app).publish(CHANNEL, str(written))


def _count(scope: reading.Scope) -> int:
    """The live count, giving the database connection back at once: an open stream
    holds none while it waits."""
    try:
        return reading.live_visitors(db.session, scope, utcnow())
    finally:
        db.session.remove()


def stream(scope: reading.Scope) -> Iterator[str]:
    """A Server-Sent Events stream of ``scope``'s live visitor count, for
    LIVE_STREAM_SECONDS; the browser then reconnects."""
    config = current_app.config
    heartbeat = config["LIVE_HEARTBEAT_SECONDS"]
    ends = time.monotonic() + config["LIVE_STREAM_SECONDS"]
    yield f"retry: {RETRY_MS}\n\n"
    sent = None
    with events.bus(current_app).subscribe(CHANNEL) as subscription:
        while True:
            count = _count(scope)
            if count != sent:
                yield f"data: {json.dumps({'live': count})}\n\n"
                sent = count
            else:
                yield ": keep-alive\n\n"
            left = ends - time.monotonic()
            if left <= 0:
                return
            subscription.wait(min(heartbeat, left))
