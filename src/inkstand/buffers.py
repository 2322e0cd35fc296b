"""Buffers of small records (JSON strings) that many requests add to and a periodic
flush takes from in batches: a Redis list shared by every app process, or a list in
this process; ``inkstand.backends`` makes the choice.

Taking is atomic: a batch taken by one flusher is gone for every other, so two
flushers at once never write a record twice. A Redis buffer that cannot reach Redis
keeps the record in its process's own buffer instead, so a page never fails for it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)


class Buffer(Protocol):
    def add(self, record: str) -> None:
        """Keep ``record`` until a flush takes it. Never raises."""

    def take(self, count: int) -> list[str]:
        """Remove and return up to ``count`` records, oldest first."""

    def give_back(self, records: list[str]) -> None:
        """Put back records a flush could not write, to be taken again first."""

    def __len__(self) -> int: ...


class LocalBuffer:
    """This process's buffer: a bounded deque (the oldest records go when it is full)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._records: deque[str] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, record: str) -> None:
        with self._lock:
            self._records.append(record)

    def take(self, count: int) -> list[str]:
        with self._lock:
            return [self._records.popleft() for _ in range(min(count, len(self._records)))]

    def give_back(self, records: list[str]) -> None:
        with self._lock:
            self._records.extendleft(reversed(records))

    def __len__(self) -> int:
        return len(self._records)


class RedisBuffer:
    """A Redis list at ``key``; records that cannot reach Redis wait in ``fallback``,
    and are taken from there too."""

    def __init__(self, redis_url: str, key: str, fallback: LocalBuffer | None = None) -> None:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.key = key
        self.fallback = fallback or LocalBuffer()
        # Short timeouts: a page waits at most this long for a Redis that is down.
        self.connection: Redis = Redis.from_url(
            redis_url, socket_timeout=0.25, socket_connect_timeout=0.25,
            retry=Retry(NoBackoff(), 1),
        )  # fmt: skip

    def add(self, record: str) -> None:
        from redis import RedisError

        try:
            self.connection.rpush(self.key, record)
        except RedisError:
            log.warning("Redis unreachable: record kept in this process")
            self.fallback.add(record)

    def take(self, count: int) -> list[str]:
        """LPOP with a count removes the batch in one atomic command."""
        from redis import RedisError

        taken = self.fallback.take(count)
        if len(taken) < count:
            try:
                popped = self.connection.lpop(self.key, count - len(taken))
            except RedisError:
                log.warning("Redis unreachable: only this process's records taken")
                popped = None
            taken += [item.decode() for item in popped or []]  # type: ignore[union-attr]
        return taken

    def give_back(self, records: list[str]) -> None:
        self.fallback.give_back(records)

    def __len__(self) -> int:
        from redis import RedisError

        try:
            shared = int(self.connection.llen(self.key))
        except RedisError:
            shared = 0
        return shared + len(self.fallback)
