"""The buffers recorded views wait in: taken in batches, oldest first, each once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from inkstand import buffers
from tests.helpers import need_service


@pytest.fixture(params=["in-process", "redis"])
def buffer(request: pytest.FixtureRequest) -> Iterator[buffers.Buffer]:
    if request.param == "in-process":
        yield buffers.LocalBuffer()
        return
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    shared = buffers.RedisBuffer(url, f"inkstand-test-{uuid.uuid4().hex}:views")
    yield shared
    shared.connection.delete(shared.key)
    shared.connection.close()


def test_records_are_taken_in_batches_oldest_first(buffer: buffers.Buffer) -> None:
    for n in range(7):
        buffer.add(str(n))
    assert len(buffer) == 7
    assert buffer.take(3) == ["0", "1", "2"]
    assert buffer.take(10) == ["3", "4", "5", "6"]
    assert buffer.take(10) == []


def test_records_given_back_are_taken_first(buffer: buffers.Buffer) -> None:
    for n in range(4):
        buffer.add(str(n))
    taken = buffer.take(2)
    buffer.give_back(taken)
    assert buffer.take(4) == ["0", "1", "2", "3"]


def test_takers_at_once_take_each_record_once(buffer: buffers.Buffer) -> None:
    for n in range(1000):
        buffer.add(str(n))
    taken: list[str] = []

    def take_all() -> None:
        while batch := buffer.take(7):
            taken.extend(batch)

    takers = [threading.Thread(target=take_all) for _ in range(4)]
    for taker in takers:
        taker.start()
    for taker in takers:
        taker.join()
    assert sorted(taken, key=int) == [str(n) for n in range(1000)]


def test_a_redis_buffer_without_redis_keeps_records_in_the_process() -> None:
    down = buffers.RedisBuffer("redis://127.0.0.1:9/0", "views")
    down.add("kept")
    assert len(down) == 1
    assert down.take(5) == ["kept"]
