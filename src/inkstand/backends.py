"""Where shared state lives, chosen once from configuration: in this process, or in
Redis when ``REDIS_URL`` is set.

The page cache, the rate limiter's counters, the event bus of live comments, the
slots of open live streams, the buffer of recorded page views and the job queue each
have an in-process implementation (the embedded default: one process) and a Redis one
(several app processes, one Redis). This module is the only reader of ``REDIS_URL``: it hands each
piece its backend, and every key or channel it names starts with ``REDIS_PREFIX``
(the job queue's with ``JOBS_QUEUE``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_caching.backends.simplecache import SimpleCache

from inkstand import buffers, events, jobs, slots

log = logging.getLogger(__name__)

EXTENSION = "inkstand.backends"
SLOTS = "inkstand.slots"
CACHE_THRESHOLD = 2000  # pages kept per process in memory
CACHE_BYTES = 16 * 1024 * 1024  # and the most bytes they take there
# How long the page cache and the rate limits wait for Redis before they go without it.
REDIS_TIMEOUT_SECONDS = 0.25


def fail_fast() -> dict[str, Any]:
    """Options of a Redis client that requests wait on: short timeouts, and one retry
    at once (a pooled connection broken by a Redis restart is replaced) instead of
    redis-py's default of three with growing pauses, seconds while Redis is down."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "retry": Retry(NoBackoff(), 1),
    }


class _SizedEntries(dict[str, tuple[float, bytes]]):
    """The entries of a SimpleCache (key: expiry, serialised value), counting the bytes
    of their values as they come and go."""

    size = 0

    def __setitem__(self, key: str, entry: tuple[float, bytes]) -> None:
        self.pop(key, None)
        super().__setitem__(key, entry)
        self.size += len(entry[1])

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.size -= len(self[key][1])
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self.size = 0


class BoundedSimpleCache(SimpleCache):
    """Flask-Caching's in-process cache, bounded by the bytes it keeps as well as by its
    number of entries: a page is 10-40 KB, and 2,000 of them would hold up to 80 MB in
    every process. Over either bound, the entries that expire first leave first."""

    def __init__(self, *args: Any, max_bytes: int = CACHE_BYTES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: _SizedEntries = _SizedEntries()
        self._max_bytes = max_bytes

    @property
    def size(self) -> int:
        """Bytes of the values kept."""
        return self._cache.size

    def _over_threshold(self) -> bool:
        return bool(super()._over_threshold()) or self._cache.size > self._max_bytes

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        with self._lock:
            kept = super().set(key, value, timeout)
            self._prune()  # the new entry counts too (SimpleCache prunes before adding it)
            return kept

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        with self._lock:
            added = super().add(key, value, timeout)
            self._prune()
            return added


@dataclass(frozen=True)
class Backends:
    """The choice for one app: Redis at ``redis_url``, or this process's memory."""

    redis_url: str | None
    prefix: str
    jobs_queue: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Backends:
        """Read the choice from settings. Raises ValueError for a bad JOBS_QUEUE."""
        queue = config["JOBS_QUEUE"]
        if not jobs.QUEUE_NAME.match(queue):
            raise ValueError(f"JOBS_QUEUE {queue!r}: use 1 to 64 letters, digits, '-' or '_'")
        return cls(config.get("REDIS_URL") or None, config["REDIS_PREFIX"], queue)

    @property
    def shared(self) -> bool:
        """Whether state is shared by every app process (through Redis)."""
        return self.redis_url is not None

    def cache_settings(self) -> dict[str, Any]:
        """Flask-Caching's settings for the page cache."""
        if self.redis_url:
            return {"CACHE_TYPE": "inkstand.rediscache.FailOpenRedisCache",
                    "CACHE_REDIS_URL": self.redis_url, "CACHE_KEY_PREFIX": f"{self.prefix}:",
                    "CACHE_OPTIONS": fail_fast()}  # fmt: skip
        return {"CACHE_TYPE": f"{__name__}.{BoundedSimpleCache.__name__}",
                "CACHE_THRESHOLD": CACHE_THRESHOLD,
                "CACHE_KEY_PREFIX": f"{self.prefix}:"}  # fmt: skip

    def limiter_settings(self) -> dict[str, Any]:
        """Flask-Limiter's storage for the rate limits' counters. While Redis cannot be
        reached, each process counts in its own memory (the limits then hold per
        process) and goes back to Redis when it answers again."""
        return {
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            # Keys start with the site's prefix, so a reset never touches another site's.
            "RATELIMIT_STORAGE_OPTIONS": {
                "key_prefix": f"{self.prefix}-limits",
                **(fail_fast() if self.redis_url else {}),
            },
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": self.redis_url is not None,
            "RATELIMIT_SWALLOW_ERRORS": True,
        }

    def event_bus(self) -> events.EventBus:
        if self.redis_url:
            return events.RedisBus.from_url(self.redis_url, f"{self.prefix}:events:")
        return events.LocalBus()

    def view_buffer(self) -> buffers.Buffer:
        """Where recorded page views wait for the next flush."""
        if self.redis_url:
            return buffers.RedisBuffer(self.redis_url, f"{self.prefix}:analytics:views")
        return buffers.LocalBuffer()

    def redis_answers(self, timeout: float) -> bool:
        """Whether Redis answers a PING within ``timeout`` seconds (a connection of
        its own, closed after: a probe must not wait behind the app's pool)."""
        assert self.redis_url is not None
        import redis

        client = redis.Redis.from_url(
            self.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def unreachable(self) -> tuple[type[Exception], ...]:
        """The errors of the shared store that mean it cannot be reached for a moment
        (a request meeting one is answered 503), none without Redis."""
        if not self.redis_url:
            return ()
        import redis

        return redis.ConnectionError, redis.TimeoutError

    def slots(self) -> slots.Slots:
        """Where slots held at once (open live streams) are counted."""
        if self.redis_url:
            return slots.RedisSlots(self.redis_url, f"{self.prefix}:slots:")
        return slots.LocalSlots()

    def job_queue(self, app: Flask) -> jobs.Jobs:
        """RQ in Redis, for ``inkstand worker`` to run; without Redis, jobs run inline."""
        if self.redis_url:
            return jobs.RQJobs(self.redis_url, self.jobs_queue)
        return jobs.InlineJobs(app)


def init_app(app: Flask) -> Backends:
    """Make the choice, before the extensions are bound: settings given explicitly
    (a test's own key prefix) win over the chosen ones. Gives the app its event bus."""
    chosen = Backends.from_config(app.config)
    for name, value in {**chosen.cache_settings(), **chosen.limiter_settings()}.items():
        app.config.setdefault(name, value)
    app.extensions[EXTENSION] = chosen
    app.extensions[events.EXTENSION] = chosen.event_bus()
    app.extensions[SLOTS] = chosen.slots()
    return chosen


def get(app: Flask) -> Backends:
    chosen: Backends = app.extensions[EXTENSION]
    return chosen
