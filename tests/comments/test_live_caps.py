"""One client cannot take every live reader's slot: streams and long polls open at
once are capped per client address and per account, across every app process (Redis)
or in the one process, besides the process's own cap."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from inkstand import slots
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.extensions import db
from tests.helpers import Factory, login, need_service, separate_app

WAIT = 5.0


@pytest.fixture(params=["local", "redis"])
def capped_app(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[Flask]:
    settings: dict[str, Any] = {
        "LIVE_READERS_PER_ADDRESS": 3, "LIVE_READERS_PER_ACCOUNT": 2,
        "LIVE_STREAM_SECONDS": 30, "LIVE_HEARTBEAT_SECONDS": 30, "LIVE_POLL_SECONDS": 30,
    }  # fmt: skip
    if request.param == "redis":
        settings["REDIS_URL"] = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        settings["REDIS_PREFIX"] = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    with separate_app(tmp_path, database_url, **settings) as app:
        yield app
        app.extensions["inkstand.events"].close()
        if request.param == "redis":
            found: slots.RedisSlots = app.extensions["inkstand.slots"]
            assert not list(found.connection.scan_iter(f"{found.prefix}*")), "slots left held"


@pytest.fixture
def post(capped_app: Flask) -> Post:
    factory = Factory(capped_app)
    return factory.post(factory.user("author", "writer"), "Talk to me")


class Stream(threading.Thread):
    """A live stream held open in its own thread, as in a server's worker thread, until
    ``close``; ``status`` is its answer's."""

    def __init__(self, app: Flask, post: Post, address: str, client: Any = None) -> None:
        super().__init__(daemon=True)
        self.client = client or app.test_client()
        self.url, self.address = f"/posts/{post.id}/comments/stream", address
        self.status: int | None = None
        self.answered, self.ended = threading.Event(), threading.Event()
        self.start()
        assert self.answered.wait(WAIT)

    def run(self) -> None:
        response = self.client.get(self.url, buffered=False,
                                   environ_base={"REMOTE_ADDR": self.address})  # fmt: skip
        self.status = response.status_code
        self.answered.set()
        self.ended.wait(WAIT * 4)
        response.close()

    def close(self) -> None:
        self.ended.set()
        self.join(WAIT)


def _ask(
    app: Flask, post: Post, address: str, door: str = "updates", client: Any = None
) -> TestResponse:
    """A live reader's request answered at once (refused)."""
    client = client or app.test_client()
    return client.get(f"/posts/{post.id}/comments/{door}",
                      environ_base={"REMOTE_ADDR": address})  # fmt: skip


def test_one_address_cannot_take_every_slot(capped_app, post):
    mine = [Stream(capped_app, post, "10.6.6.6") for _ in range(3)]
    assert [s.status for s in mine] == [200] * 3

    for door in ("stream", "updates"):
        refused = _ask(capped_app, post, "10.6.6.6", door)
        assert refused.status_code == 429
        assert refused.get_json()["message"].startswith("You have too many live comment streams")
        assert int(refused.headers["Retry-After"]) > 0

    others = Stream(capped_app, post, "10.1.1.1")  # everyone else still connects
    assert others.status == 200
    mine.pop().close()  # a stream ended gives its slot back
    again = Stream(capped_app, post, "10.6.6.6")
    assert again.status == 200
    for stream in [*mine, others, again]:
        stream.close()


def test_one_account_cannot_take_every_slot_from_many_addresses(capped_app, post):
    reader = Factory(capped_app).user("reader", "rita")
    client = capped_app.test_client()
    login(client, reader)
    hers = [Stream(capped_app, post, f"10.0.0.{n}", client=client) for n in range(2)]
    assert [s.status for s in hers] == [200, 200]
    assert _ask(capped_app, post, "10.0.0.9", client=client).status_code == 429
    visitor = Stream(capped_app, post, "10.0.0.9")  # a visitor at that address is not her
    assert visitor.status == 200
    for stream in [*hers, visitor]:
        stream.close()


def test_a_refused_or_missing_post_holds_no_slot(capped_app, post):
    for _ in range(5):
        response = capped_app.test_client().get(
            "/posts/999999/comments/stream", environ_base={"REMOTE_ADDR": "10.6.6.6"}
        )
        assert response.status_code == 404
    assert capped_app.extensions["inkstand.slots"].held("live:address:10.6.6.6") == 0


class Poll(threading.Thread):
    """A long poll waiting in its own thread, as in a server's worker thread."""

    def __init__(self, app: Flask, post: Post, address: str) -> None:
        super().__init__(daemon=True)
        self.app, self.post, self.address = app, post, address
        self.status: int | None = None

    def run(self) -> None:
        response = self.app.test_client().get(
            f"/posts/{self.post.id}/comments/updates?after=0",
            environ_base={"REMOTE_ADDR": self.address},
        )
        self.status = response.status_code
        response.close()  # as a server closes every answer it has sent


def test_concurrent_long_polls_are_capped_per_address(capped_app, post):
    store = capped_app.extensions["inkstand.slots"]
    polls = [Poll(capped_app, post, "10.6.6.6") for _ in range(3)]
    for poll in polls:
        poll.start()
    deadline = threading.Event()
    for _ in range(int(WAIT * 100)):
        if store.held("live:address:10.6.6.6") == 3:
            break
        deadline.wait(0.01)
    assert store.held("live:address:10.6.6.6") == 3  # three polls waiting at once

    assert _ask(capped_app, post, "10.6.6.6").status_code == 429
    other = Stream(capped_app, post, "10.1.1.1")
    assert other.status == 200
    other.close()

    writer = db.session.get(User, post.author_id)
    Factory(capped_app).comment(writer, post, "News for every waiting poll")
    for poll in polls:
        poll.join(WAIT)
    assert [poll.status for poll in polls] == [200] * 3
    assert store.held("live:address:10.6.6.6") == 0
