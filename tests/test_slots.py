"""Slots held at once under keys (open live streams per address and per account),
counted in this process or in Redis across every process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from inkstand import slots
from tests.helpers import need_service


@pytest.fixture(params=["local", "redis"])
def store(request, monkeypatch) -> Iterator[slots.Slots]:
    if request.param == "local":
        yield slots.LocalSlots()
        return
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}:slots:"
    found = slots.RedisSlots(url, prefix)
    yield found
    for key in found.connection.scan_iter(f"{prefix}*"):
        assert 0 < found.connection.pttl(key) <= 60_000  # every key lapses with its slots
        found.connection.delete(key)
    found.connection.close()


def test_a_key_holds_at_most_its_cap(store):
    taken = [store.take({"a": 3}, 60) for _ in range(4)]
    assert all(taken[:3])
    assert taken[3] is None
    assert store.held("a") == 3
    assert store.take({"b": 3}, 60) is not None  # another key is not touched
    store.give_back(["a"], taken[0])
    assert store.take({"a": 3}, 60) is not None
    for slot in taken[1:3]:
        store.give_back(["a"], slot)
    store.give_back(["b"], "")  # an unknown slot changes nothing
    assert store.held("a") == 1


def test_a_slot_is_taken_under_every_key_or_none(store):
    first = store.take({"address": 5, "account": 1}, 60)
    assert first is not None
    assert store.take({"address": 5, "account": 1}, 60) is None  # the account is full
    assert store.held("address") == 1  # and the refusal took nothing under the address
    assert store.take({"address": 5}, 60) is not None  # a visitor at the same address
    store.give_back(["address", "account"], first)
    store.give_back(["address", "account"], first)  # twice: nothing more
    assert store.held("account") == 0
    assert store.held("address") == 1


def test_a_slot_never_given_back_lapses_with_its_lease(store, monkeypatch):
    if isinstance(store, slots.LocalSlots):
        now = time.monotonic()
        store.take({"a": 1}, 30)
        assert store.take({"a": 1}, 30) is None
        monkeypatch.setattr(slots.time, "monotonic", lambda: now + 31)
    else:
        store.take({"a": 1}, 0.001)  # Redis's own clock: a lease of a millisecond
        time.sleep(0.01)
    assert store.held("a") == 0
    assert store.take({"a": 1}, 30) is not None
