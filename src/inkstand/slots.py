"""Slots: how many of something (open live streams) are held at once under a key (a
client address, an account), counted across every app process in Redis or in this
process alone; ``inkstand.backends`` makes the choice.

A slot is taken under several keys at once, all or none, each with its own cap, and
given back when its holder is done. Each slot is leased: one never given back (its
process was killed) lapses when its lease ends, so a cap never stays spent.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)


class Slots(Protocol):
    def take(self, caps: Mapping[str, int], lease: float) -> str | None:
        """Take one slot under every key of ``caps`` (key -> most held at once), for
        at most ``lease`` seconds: its id, or None when any key is at its cap."""

    def give_back(self, keys: Iterable[str], slot: str) -> None:
        """Give a slot back under ``keys``; giving it back twice changes nothing."""

    def held(self, key: str) -> int:
        """How many slots are held under ``key`` now."""


class LocalSlots:
    """Slots of this process: for each key, its slots' ids and when their leases end."""

    def __init__(self) -> None:
        self._held: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> dict[str, float]:
        slots = self._held.get(key, {})
        for slot in [slot for slot, ends in slots.items() if ends <= now]:
            del slots[slot]
        return slots

    def take(self, caps: Mapping[str, int], lease: float) -> str | None:
        slot, now = uuid.uuid4().hex, time.monotonic()
        with self._lock:
            if any(len(self._live(key, now)) >= cap for key, cap in caps.items()):
                return None
            for key in caps:
                self._held.setdefault(key, {})[slot] = now + lease
        return slot

    def give_back(self, keys: Iterable[str], slot: str) -> None:
        with self._lock:
            for key in keys:
                slots = self._held.get(key, {})
                slots.pop(slot, None)
                if not slots:
                    self._held.pop(key, None)

    def held(self, key: str) -> int:
        with self._lock:
            return len(self._live(key, time.monotonic()))


# KEYS: the keys; ARGV: the slot, the lease in milliseconds, then each key's cap. A
# sorted set per key of slot ids scored by when their leases end, on Redis's clock.
_TAKE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ms + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]))
end
return 1
"""
_HELD = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
return redis.call('ZCARD', KEYS[1])
"""


class RedisSlots:
    """Slots every process shares, in Redis under ``prefix``. Without Redis, a slot is
    given without counting it: the process's own cap on live readers still holds."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.prefix = prefix
        self.connection: Redis = Redis.from_url(
            redis_url, socket_timeout=0.5, socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 1),
        )  # fmt: skip
        self._take = self.connection.register_script(_TAKE)
        self._held = self.connection.register_script(_HELD)

    def take(self, caps: Mapping[str, int], lease: float) -> str | None:
        from redis import RedisError

        slot = uuid.uuid4().hex
        keys = [self.prefix + key for key in caps]
        try:
            taken = self._take(keys=keys, args=[slot, max(1, int(lease * 1000)), *caps.values()])
        except RedisError:
            log.warning("Redis unreachable: a slot given without counting it")
            return slot
        return slot if taken else None

    def give_back(self, keys: Iterable[str], slot: str) -> None:
        from redis import RedisError

        try:
            with self.connection.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrem(self.prefix + key, slot)
                pipe.execute()
        except RedisError:
            log.warning("Redis unreachable: a slot left to lapse at the end of its lease")

    def held(self, key: str) -> int:
        return int(self._held(keys=[self.prefix + key]))
