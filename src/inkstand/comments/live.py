"""Live comments: changes to a post's public thread reach every open page of it.

The database is the record and the event bus is the doorbell. Each change to a
public thread writes a ``CommentEvent`` in the transaction that makes it
(``comments/models.py``); after the commit this module rings the post's channel
on the bus. A reader, a Server-Sent Events stream or a long poll, waits for the
bell, then reads the events after the last one it sent, by id. So a reader that
reconnects with Last-Event-ID gets exactly what it missed, from any process,
and a bell lost while Redis reconnects costs at most one heartbeat of delay.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import current_app, get_template_attribute, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from inkstand import events
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments import permissions, reading
from inkstand.comments.models import PENDING_EVENTS
from inkstand.db import utcnow
from inkstand.exceptions import NotFound
from inkstand.extensions import db
from inkstand.site.context import site_settings

# Events sent per database read; a reader far behind catches up in batches.
BATCH = 100
# How soon a browser reconnects after a stream ends, in milliseconds.
RETRY_MS = 2000


def channel(post_id: int) -> str:
    return f"post:{post_id}:comments"


@event.listens_for(Session, "after_commit")
def _ring(session: Session) -> None:
    """Announce the comment events of a commit on their posts' channels."""
    pending = session.info.pop(PENDING_EVENTS, None)
    if not pending or not has_app_context():
        return
    bus = events.bus(current_app)
    for post_id, event_id in pending:
        bus.publish(channel(post_id), str(event_id))


def _render(live: reading.LiveEvent, can_moderate: bool) -> dict[str, Any]:
    article = None
    if live.node is not None:
        article = str(get_template_attribute("comments/_macros.html", "comment_article")(
            live.node, can_moderate
        ))  # fmt: skip
    return {"id": live.comment_id, "kind": live.kind, "parent": live.parent_id, "html": article}


def _read(post_id: int, viewer: User | None, after: int) -> list[tuple[int, dict[str, Any]]]:
    """The events after ``after``, ready to send. The post is looked at again on
    every read: one that went back to draft stops its streams (NotFound). Gives
    the database connection back at once: an open stream holds none while it waits."""
    try:
        # The clock of this read, not of the request: a stream lives for minutes.
        now = utcnow()
        post = reading.watched_post(db.session, viewer, post_id, now)
        found = reading.events_after(
            db.session, viewer, post, after, BATCH, now, site_settings().comment_policy
        )
        can_moderate = permissions.can_moderate(viewer, post)
        return [(live.id, _render(live, can_moderate)) for live in found]
    finally:
        db.session.remove()


def too_many_readers() -> bool:
    """Whether this process already holds as many live readers as it may
    (LIVE_READERS_MAX), so that streams never take every worker thread."""
    readers = events.bus(current_app).subscribers()
    return bool(readers >= current_app.config["LIVE_READERS_MAX"])


def stream(post: Post, viewer: User | None, after: int) -> Iterator[str]:
    """A Server-Sent Events stream of the post's comment events after ``after``.
    It ends after LIVE_STREAM_SECONDS, and the browser comes back for the rest."""
    config = current_app.config
    heartbeat = config["LIVE_HEARTBEAT_SECONDS"]
    ends = time.monotonic() + config["LIVE_STREAM_SECONDS"]
    bus = events.bus(current_app)
    yield f"retry: {RETRY_MS}\n\n"
    # Subscribe first, then read: an event committed in between rings the bell.
    with bus.subscribe(channel(post.id)) as subscription:
        while True:
            try:
                batch = _read(post.id, viewer, after)
            except NotFound:
                return  # the post is gone, or no longer the viewer's to see
            for event_id, data in batch:
                yield f"id: {event_id}\ndata: {json.dumps(data)}\n\n"
                after = event_id
            if len(batch) == BATCH:
                continue
            left = ends - time.monotonic()
            if left <= 0:
                return
            if not subscription.wait(min(heartbeat, left)):
                yield ": keep-alive\n\n"


def poll(post: Post, viewer: User | None, after: int) -> dict[str, Any]:
    """The post's comment events after ``after``, waiting up to LIVE_POLL_SECONDS
    for the first: the long-polling door for clients that cannot hold a stream."""
    bus = events.bus(current_app)
    with bus.subscribe(channel(post.id)) as subscription:
        batch = _read(post.id, viewer, after)
        if not batch:
            subscription.wait(current_app.config["LIVE_POLL_SECONDS"])
            batch = _read(post.id, viewer, after)
    last = batch[-1][0] if batch else after
    return {"events": [data | {"event": event_id} for event_id, data in batch], "last": last}
