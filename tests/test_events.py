"""The event bus, in-process and over a real Redis: what one side publishes, every
subscriber of that channel hears, in every process; nobody else hears it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from inkstand.events import BACKLOG, RESYNC, EventBus, LocalBus, RedisBus, Subscription
from tests.helpers import need_service

# Generous: a shared machine can be slow, and a wait that succeeds returns at once.
WAIT = 5.0

MakeBus = Callable[[], EventBus]


@pytest.fixture(params=["local", "redis"])
def make_bus(request: pytest.FixtureRequest) -> Iterator[MakeBus]:
    """Buses as separate processes would have them: in-process buses are one bus
    (a process has one), Redis buses are independent clients on one prefix."""
    buses: list[EventBus] = []
    if request.param == "local":
        shared = LocalBus()
        buses.append(shared)
        yield lambda: shared
    else:
        url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}:events:"

        def make() -> EventBus:
            bus = RedisBus.from_url(url, prefix)
            buses.append(bus)
            return bus

        yield make
    for bus in buses:
        bus.close()


def test_a_subscriber_hears_what_is_published_on_its_channel(make_bus: MakeBus) -> None:
    bus = make_bus()
    with bus.subscribe("post:1:comments") as subscription:
        bus.publish("post:1:comments", "7")
        assert subscription.wait(WAIT) == ["7"]


def test_messages_cross_between_processes(make_bus: MakeBus) -> None:
    here, there = make_bus(), make_bus()
    with there.subscribe("post:1:comments") as far, here.subscribe("post:1:comments") as near:
        here.publish("post:1:comments", "1")
        here.publish("post:1:comments", "2")
        assert _collect(far, 2) == ["1", "2"]
        assert _collect(near, 2) == ["1", "2"]


def test_other_channels_are_not_heard(make_bus: MakeBus) -> None:
    bus = make_bus()
    with bus.subscribe("post:1:comments") as one, bus.subscribe("post:2:comments") as two:
        bus.publish("post:2:comments", "9")
        assert two.wait(WAIT) == ["9"]
        assert one.wait(0.2) == []


def test_wait_returns_nothing_after_its_timeout(make_bus: MakeBus) -> None:
    bus = make_bus()
    with bus.subscribe("quiet") as subscription:
        started = time.monotonic()
        assert subscription.wait(0.2) == []
        assert time.monotonic() - started >= 0.15


def test_a_waiting_reader_is_woken_by_a_publisher_on_another_thread(make_bus: MakeBus) -> None:
    bus = make_bus()
    with bus.subscribe("post:3:comments") as subscription:
        timer = threading.Timer(0.1, bus.publish, ("post:3:comments", "42"))
        timer.start()
        started = time.monotonic()
        assert subscription.wait(WAIT) == ["42"]
        assert time.monotonic() - started < WAIT
        timer.join()


def test_a_closed_subscription_hears_nothing_more(make_bus: MakeBus) -> None:
    bus = make_bus()
    subscription = bus.subscribe("post:1:comments")
    assert bus.subscribers() == 1
    subscription.close()
    assert bus.subscribers() == 0
    bus.publish("post:1:comments", "1")
    assert subscription.wait(0.2) == []


def test_a_slow_reader_keeps_only_the_latest_messages() -> None:
    """A reader that falls far behind loses old hints, not the newest ones: it
    reads its events from the database anyway. (Both buses deliver through the
    same subscriptions; the in-process one delivers before ``publish`` returns.)"""
    bus = LocalBus()
    with bus.subscribe("busy") as subscription:
        for number in range(300):
            bus.publish("busy", str(number))
        heard = subscription.wait(0)
    assert heard == [str(n) for n in range(300 - BACKLOG, 300)]


def test_redis_bus_tells_readers_to_look_again_after_losing_redis() -> None:
    """When the listening connection drops, messages published meanwhile are not
    heard; the bus reconnects and wakes every reader with RESYNC."""
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}:events:"
    bus = RedisBus(redis.Redis.from_url(url), prefix, retry_seconds=0.1)
    admin = redis.Redis.from_url(url)
    try:
        with bus.subscribe("post:1:comments") as subscription:
            killed = admin.client_kill_filter(_type="pubsub", skipme=True)
            assert killed >= 1
            assert RESYNC in _collect(subscription, 1)
            bus.publish("post:1:comments", "after")
            assert "after" in _collect(subscription, 1)
    finally:
        bus.close()
        admin.close()


def test_a_broken_redis_never_breaks_the_publisher(caplog: pytest.LogCaptureFixture) -> None:
    """A change is committed before it is announced; a failed announcement is
    logged, and readers find the change on their next look."""
    bus = RedisBus.from_url("redis://127.0.0.1:1/0", "x:")
    started = time.monotonic()
    bus.publish("post:1:comments", "1")
    assert "could not publish" in caplog.text
    assert time.monotonic() - started < WAIT
    bus.close()


def _collect(subscription: Subscription, count: int) -> list[str]:
    """Messages until ``count`` have come (or WAIT has passed)."""
    heard: list[str] = []
    ends = time.monotonic() + WAIT
    while len(heard) < count and time.monotonic() < ends:
        heard += subscription.wait(ends - time.monotonic())
    return heard
