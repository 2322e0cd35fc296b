"""Counts over the published posts, kept per process: RealWorld's ``articlesCount``
and the tag lists of the APIs, with how many posts carry each tag.

Counting costs time in proportion to the posts counted (at a million posts, a scan
of a million index entries for a total, of two million tag links for the tags), so
each process keeps what it counted, by what was asked, under the content version it
was counted at. Every change that can alter a count (a post created, published,
unpublished, trashed, restored or purged, its tags changed, a favourite, a follow, a
renamed account) writes a new content version in its own transaction
(site/models.py), and the version is read again for every count asked (one
primary-key lookup), so what is kept is exact in every process from the moment the
change commits. A scheduled post changes no version as it appears: a count stands
only until the next scheduled post it could include is due.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app

from inkstand.blog import reading
from inkstand.db import DbSession
from inkstand.site import services as site_services

KEPT = "inkstand.counts"
# Counts kept at most, per process: filters are free text, so junk cannot fill memory.
MAX_KEPT = 1000

T = TypeVar("T")


class Counts:
    """What this process counted under one content version, by what was asked; each
    with the moment it was counted and when the next scheduled post it could include
    is due (None: none waits). Between the two the same posts are published."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = ""
        self._kept: dict[Hashable, tuple[datetime, datetime | None, Any]] = {}

    def forget(self) -> None:
        """Drop every kept count: for content changed without the app (a test's
        emptied tables), which writes no new version."""
        with self._lock:
            self._version, self._kept = "", {}

    def get(self, version: str, key: Hashable, now: datetime) -> tuple[bool, Any]:
        with self._lock:
            found = self._kept.get(key) if version == self._version else None
        if found is None:
            return False, None
        since, until, value = found
        return since <= now and (until is None or now < until), value

    def keep(
        self, version: str, key: Hashable, now: datetime, until: datetime | None, value: Any
    ) -> None:
        with self._lock:
            if version != self._version:
                self._version, self._kept = version, {}
            if len(self._kept) < MAX_KEPT or key in self._kept:
                self._kept[key] = (now, until, value)


def init_app(app: Flask) -> None:
    app.extensions[KEPT] = Counts()


def _kept(
    session: DbSession, now: datetime, key: Hashable,
    count: Callable[[], tuple[T, datetime | None]],
) -> T:  # fmt: skip
    """What ``count`` returns (a value, and until when it holds), counted once per
    content version, per process, until then."""
    counts: Counts = current_app.extensions[KEPT]
    # First: a change committed after it makes the next call count again.
    version = site_services.content_version(session)
    fresh, value = counts.get(version, key, now)
    if fresh:
        found: T = value
        return found
    value, until = count()
    counts.keep(version, key, now, until, value)
    return value


def _filters_key(filters: reading.Filters) -> Hashable:
    """Filters that match the same posts have the same key: names compare lowercased."""
    viewer = filters.followed_by.id if filters.followed_by is not None else None
    names = (filters.tag, filters.author, filters.favourited_by)
    return ("articles", *(None if n is None else n.lower() for n in names), viewer)


def matching(session: DbSession, now: datetime, filters: reading.Filters | reading.Narrowed) -> int:
    """How many published posts match ``filters`` at ``now``: one query when this
    process counted them under the current content version, two when it did not (and
    one more for filters not yet ``reading.narrow``ed)."""

    def count() -> tuple[int, datetime | None]:
        found = reading.count(session, now, filters)
        return found.number, found.until

    named = filters.filters if isinstance(filters, reading.Narrowed) else filters
    return _kept(session, now, _filters_key(named), count)


def tags_in_use(session: DbSession, now: datetime, limit: int) -> list[str]:
    """``reading.tags_in_use``: one query when kept, three when not."""

    def count() -> tuple[tuple[str, ...], datetime | None]:
        names = tuple(reading.tags_in_use(session, now, limit))
        return names, reading.next_publication(session, now)

    return list(_kept(session, now, ("tags in use", limit), count))


def public_tags(session: DbSession, now: datetime) -> list[tuple[str, int]]:
    """``reading.public_tags``: one query when kept, three when not."""

    def count() -> tuple[tuple[tuple[str, int], ...], datetime | None]:
        rows = tuple(reading.public_tags(session, now))
        return rows, reading.next_publication(session, now)

    return list(_kept(session, now, ("public tags",), count))
