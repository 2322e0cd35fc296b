"""The page cache in Redis, for when several processes share one (``inkstand.backends``
chooses it by name, so a site without Redis never loads redis-py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import redis
from flask_caching.backends.rediscache import RedisCache

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0  # an unreachable Redis is logged this often, not per request


class FailOpenRedisCache(RedisCache):
    """Flask-Caching's Redis cache that goes without Redis while it cannot be reached:
    a read is a miss and a write is not kept, so pages are rendered instead of failing.
    redis-py reconnects by itself on the first command after Redis is back."""

    _logged_at = float("-inf")

    def _unreachable(self, error: redis.RedisError) -> None:
        if time.monotonic() - FailOpenRedisCache._logged_at > LOG_EVERY_SECONDS:
            FailOpenRedisCache._logged_at = time.monotonic()
            log.warning("the page cache goes without Redis, unreachable: %s", error)

    def _or(self, fallback: Any, call: Callable[..., Any], *args: Any) -> Any:
        """What ``call`` answers, or ``fallback`` while Redis cannot be reached."""
        try:
            return call(*args)
        except redis.RedisError as error:
            self._unreachable(error)
            return fallback

    def get(self, key: str) -> Any:
        return self._or(None, super().get, key)

    def get_many(self, *keys: str) -> list[Any]:
        result: list[Any] = self._or([None] * len(keys), super().get_many, *keys)
        return result

    def set(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        return self._or(False, super().set, key, value, timeout)

    def add(self, key: str, value: Any, timeout: int | timedelta | None = None) -> Any:
        return self._or(False, super().add, key, value, timeout)

    def delete(self, key: str) -> bool:
        return bool(self._or(False, super().delete, key))

    def has(self, key: str) -> bool:
        return bool(self._or(False, super().has, key))
