"""The event bus: short messages on named channels, heard by every app process.

Two implementations share one small interface, chosen by configuration
(``inkstand.backends``):

- ``LocalBus`` within one process, for the embedded default;
- ``RedisBus`` over Redis publish/subscribe, when ``INKSTAND_REDIS_URL`` is set,
  so that a message published by any process reaches subscribers in all of them.

Messages are hints, not records: live comment streams keep their events in the
database and treat a message as "look again". A message lost while Redis
reconnects costs a stream a few seconds of delay, never an event.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict, deque
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from flask import Flask

from inkstand import metrics

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

EXTENSION = "inkstand.events"
# How often the listening thread looks up from Redis to see whether it should stop.
LISTEN_TICK = 0.25
# Messages a subscription keeps while its reader is busy; older ones are dropped,
# which only ever delays a reader that looks in the database anyway.
BACKLOG = 256


class Subscription:
    """One reader's view of one channel. Use it as a context manager, so that it
    is closed when the reader leaves."""

    def __init__(self, hub: _Hub, channel: str) -> None:
        self.channel = channel
        self._hub = hub
        self._ready = threading.Condition()
        self._messages: deque[str] = deque(maxlen=BACKLOG)

    def wait(self, timeout: float) -> list[str]:
        """The messages that arrived since the last call, waiting up to ``timeout``
        seconds for the first; an empty list when none came."""
        with self._ready:
            if not self._messages:
                self._ready.wait(timeout)
            messages = list(self._messages)
            self._messages.clear()
        return messages

    def deliver(self, message: str) -> None:
        with self._ready:
            self._messages.append(message)
            self._ready.notify_all()

    def close(self) -> None:
        self._hub.remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Hub:
    """The subscriptions of this process, by channel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: defaultdict[str, set[Subscription]] = defaultdict(set)

    def add(self, channel: str) -> Subscription:
        subscription = Subscription(self, channel)
        with self._lock:
            self._channels[channel].add(subscription)
        metrics.LIVE_STREAMS.inc()
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            readers = self._channels.get(subscription.channel)
            if readers is None or subscription not in readers:
                return
            readers.discard(subscription)
            if not readers:
                del self._channels[subscription.channel]
        metrics.LIVE_STREAMS.dec()

    def deliver(self, channel: str, message: str) -> None:
        with self._lock:
            readers = list(self._channels.get(channel, ()))
        for reader in readers:
            reader.deliver(message)

    def deliver_everywhere(self, message: str) -> None:
        with self._lock:
            readers = [r for rs in self._channels.values() for r in rs]
        for reader in readers:
            reader.deliver(message)

    def count(self) -> int:
        with self._lock:
            return sum(len(readers) for readers in self._channels.values())


class EventBus(Protocol):
    def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> Subscription: ...

    def subscribers(self) -> int: ...

    def close(self) -> None: ...


class LocalBus:
    """Messages within this process only: the embedded, single-process default."""

    def __init__(self) -> None:
        self._hub = _Hub()

    def publish(self, channel: str, message: str) -> None:
        self._hub.deliver(channel, message)

    def subscribe(self, channel: str) -> Subscription:
        return self._hub.add(channel)

    def subscribers(self) -> int:
        return self._hub.count()

    def close(self) -> None:
        """Nothing to release."""


# Said to every subscription after the link to Redis comes back: whatever was
# published meanwhile was not heard, so every reader should look again.
RESYNC = "resync"


class RedisBus:
    """Messages through Redis publish/subscribe, shared by every app process.

    Each process holds one connection subscribed to all of the bus's channels
    (a pattern under ``prefix``) and hands what it hears to its own
    subscriptions, so a thousand open streams cost Redis one connection per
    process, not a thousand. The listening thread starts with the first
    subscription, which happens after a server forks its workers.
    """

    def __init__(self, client: redis.Redis, prefix: str, retry_seconds: float = 1.0) -> None:
        self._client = client
        self._prefix = prefix
        self._retry_seconds = retry_seconds
        self._hub = _Hub()
        self._start = threading.Lock()
        self._listening = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._pubsub: redis.client.PubSub | None = None

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisBus:
        """A bus on the Redis at ``url``. Publishing happens inside requests, so a
        Redis that is down fails it fast (one retry, short timeouts) instead of
        making every comment wait."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 1)
        )
        return cls(client, prefix)

    def publish(self, channel: str, message: str) -> None:
        from redis import RedisError

        try:
            self._client.publish(self._prefix + channel, message)
        except RedisError:
            # The change is committed and readers will find it when they next
            # look; a broken bus must not turn a saved comment into an error.
            log.exception("could not publish on %s", channel)

    def subscribe(self, channel: str, ready_timeout: float = 5.0) -> Subscription:
        """Subscribe, once this process listens to Redis (waiting up to
        ``ready_timeout`` seconds), so that no message published after this call
        returns is missed."""
        subscription = self._hub.add(channel)
        self._ensure_listening()
        self._listening.wait(ready_timeout)
        return subscription

    def subscribers(self) -> int:
        return self._hub.count()

    def _ensure_listening(self) -> None:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._closed.clear()
                self._thread = threading.Thread(
                    target=self._listen, name="inkstand-events", daemon=True
                )
                self._thread.start()

    def _listen(self) -> None:
        from redis import RedisError

        lost = False
        while not self._closed.is_set():
            pubsub = self._client.pubsub()
            self._pubsub = pubsub
            try:
                pubsub.psubscribe(self._prefix + "*")
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=LISTEN_TICK)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        self._listening.set()
                        if lost:
                            self._hub.deliver_everywhere(RESYNC)
                            lost = False
                    elif message["type"] == "pmessage":
                        channel = _text(message["channel"])[len(self._prefix) :]
                        self._hub.deliver(channel, _text(message["data"]))
            except (RedisError, OSError, ValueError):
                if self._closed.is_set():
                    break
                log.warning("event bus lost Redis; retrying in %ss", self._retry_seconds)
                self._listening.clear()
                lost = True
                self._closed.wait(self._retry_seconds)
            finally:
                pubsub.close()

    def close(self) -> None:
        """Stop listening and release the connections (at app teardown in tests)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def bus(app: Flask) -> EventBus:
    """The app's bus, chosen by inkstand.backends."""
    bus: EventBus = app.extensions[EXTENSION]
    return bus
