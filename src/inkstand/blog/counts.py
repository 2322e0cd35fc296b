"""How many published posts match a list's filters, kept per process: RealWorld's
``articlesCount``.

Counting the matches costs time in proportion to their number (at a million posts,
a scan of a million index entries), so each process keeps the counts it made, by
their filters, under the content version they were counted at. Every change that
can alter a list (a post created, published, unpublished, trashed, restored or
purged, a favourite, a follow, a renamed account) writes a new content version in
its own transaction (site/models.py), and the version is read again for every count
asked (one primary-key lookup), so a kept count is exact in every process from the
moment the change commits. A scheduled post changes no version as it appears: a
count stands only until the next scheduled post among its matches is due.
"""

from __future__ import annotations

import threading
from datetime import datetime

from flask import Flask, current_app

from inkstand.blog import reading
from inkstand.db import DbSession
from inkstand.site import services as site_services

KEPT = "inkstand.counts"
# Counts kept at most, per process: filters are free text, so junk cannot fill memory.
MAX_KEPT = 1000

Key = tuple[str | None, str | None, str | None, int | None]


class Counts:
    """The counts this process made under one content version, by their filters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = ""
        self._kept: dict[Key, tuple[datetime, reading.Count]] = {}

    def forget(self) -> None:
        """Drop every kept count: for content changed without the app (a test's
        emptied tables), which writes no new version."""
        with self._lock:
            self._version, self._kept = "", {}

    def get(self, version: str, key: Key, now: datetime) -> int | None:
        with self._lock:
            if version != self._version:
                return None
            found = self._kept.get(key)
        if found is None:
            return None
        since, count = found
        # The moment it was counted, and no scheduled post due since: the same posts.
        if since <= now and (count.until is None or now < count.until):
            return count.number
        return None

    def keep(self, version: str, key: Key, now: datetime, count: reading.Count) -> None:
        with self._lock:
            if version != self._version:
                self._version, self._kept = version, {}
            if len(self._kept) < MAX_KEPT or key in self._kept:
                self._kept[key] = (now, count)


def init_app(app: Flask) -> None:
    app.extensions[KEPT] = Counts()


def _key(filters: reading.Filters) -> Key:
    """Filters that match the same posts have the same key: names compare lowercased."""
    viewer = filters.followed_by.id if filters.followed_by is not None else None
    names = (filters.tag, filters.author, filters.favourited_by)
    tag, author, favourited_by = (None if n is None else n.lower() for n in names)
    return tag, author, favourited_by, viewer


def matching(session: DbSession, now: datetime, filters: reading.Filters) -> int:
    """How many published posts match ``filters`` at ``now``: one query when this
    process counted them under the current content version, two when it did not."""
    counts: Counts = current_app.extensions[KEPT]
    # First: a change committed after it makes the next call count again.
    version = site_services.content_version(session)
    key = _key(filters)
    number = counts.get(version, key, now)
    if number is not None:
        return number
    count = reading.count(session, now, filters)
    counts.keep(version, key, now, count)
    return count.number
