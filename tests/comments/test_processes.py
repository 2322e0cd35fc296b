"""Real `inkstand serve` processes: two sharing PostgreSQL and Redis, as in
production, where a comment posted through one arrives on a stream opened on the
other; and the embedded default (SQLite, no Redis) as `make run` serves it, where a
comment reaches another reader's stream at once."""

from __future__ import annotations

import html
import http.client
import json
import re
import time
import uuid
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
import redis

from inkstand.accounts.models import Role
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import (
    PASSWORD,
    SERVER_HOST,
    Factory,
    comment_form,
    need_service,
    process_env,
    separate_app,
    serving,
)

HOST = SERVER_HOST


class Browser:
    """A visitor on one app process: cookies, and forms sent with their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return str(response.read().decode())

    def post(self, path: str, fields: dict[str, str], accept: str = "text/html") -> Any:
        request = Request(  # noqa: S310 - an http://127.0.0.1 address made above
            self.base + path, data=urlencode(fields).encode(), headers={"Accept": accept}
        )
        try:
            return self.opener.open(request, timeout=10)
        except HTTPError as error:
            return error

    def log_in(self, username: str) -> None:
        page = self.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, "no CSRF token on the log-in page"
        fields = {"csrf_token": html.unescape(token[1]), "login": username, "password": PASSWORD}
        with self.post("/login", fields):
            pass
        assert "Log out" in self.get("/")


def base_env(database_url: str) -> dict[str, str]:
    """The environment of an app process: this run's settings, none inherited."""
    return process_env(
        DATABASE_URL=database_url,
        SECRET_KEY="processes-test-key",
        COMMENT_MIN_SECONDS="0",
        LIVE_HEARTBEAT_SECONDS="1",  # a closed stream is noticed at once
    )


def seed(app: Any) -> dict[str, Any]:
    """Comments open, a reader "carl", and a post by "writer"; the post's id and slug."""
    factory = Factory(app)
    admin = factory.user(Role.ADMIN, "boss")
    site.update(db.session, admin, comment_policy="open")
    factory.user(Role.READER, "carl")
    post = factory.post(factory.user(Role.AUTHOR, "writer"), "Talk to me")
    return {"id": post.id, "slug": post.slug}


@pytest.fixture
def two_processes(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Two `inkstand serve` processes on one PostgreSQL database and one Redis,
    with a post by "writer" and a reader "carl"; both bases and the post."""
    redis_url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    settings = {"REDIS_URL": redis_url, "REDIS_PREFIX": prefix}
    with separate_app(tmp_path / "setup", postgres_url, **settings) as app:
        post = seed(app)
        env = {
            **base_env(postgres_url),
            "INKSTAND_REDIS_URL": redis_url,
            "INKSTAND_REDIS_PREFIX": prefix,
        }
        try:
            with serving(tmp_path, env, ("one", "two"), "--workers", "1") as (one, two):
                yield one, two, post
        finally:
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            client.close()


@pytest.fixture
def embedded_site(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """`inkstand serve` with its defaults on SQLite without Redis, as `make run` serves."""
    database_url = f"sqlite:///{tmp_path / 'inkstand.sqlite3'}"
    with separate_app(tmp_path / "setup", database_url) as app:
        post = seed(app)
        with serving(tmp_path, base_env(database_url), ("site",)) as (base,):
            yield base, post


def test_the_embedded_default_delivers_a_comment_to_another_reader_at_once(
    embedded_site: tuple[str, dict[str, Any]],
) -> None:
    """Without Redis the event bus is in the process: `inkstand serve` runs one, so
    every reader's stream hears every comment (with several, a stream on another
    process would hear it only when it next looked in the database)."""
    base, post = embedded_site
    comment_reaches_stream(base, base, post, within=1)


def test_a_comment_through_one_process_reaches_a_stream_on_the_other(
    two_processes: tuple[str, str, dict[str, Any]],
) -> None:
    one, two, post = two_processes
    comment_id, event = comment_reaches_stream(one, two, post, within=2)
    # The first process replays the same event, by the same id, to a reader who missed it.
    replay = json.loads(Browser(one).get(f"/posts/{post['id']}/comments/updates?after=0"))
    assert [(e["event"], e["id"]) for e in replay["events"]] == [(int(event["id"]), comment_id)]


def comment_reaches_stream(
    one: str, two: str, post: dict[str, Any], within: float
) -> tuple[int, dict[str, str]]:
    """Carl comments through ``one`` while a stream is open on ``two``: the event
    arrives within ``within`` seconds. The comment's id and the event."""
    port = int(two.rsplit(":", 1)[1])
    stream = http.client.HTTPConnection(HOST, port, timeout=10)
    stream.request("GET", f"/posts/{post['id']}/comments/stream?after=0")
    response = stream.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/event-stream")
    assert response.readline().startswith(b"retry: ")

    carl = Browser(one)
    carl.log_in("carl")
    action, fields = comment_form(carl.get(f"/posts/{post['slug']}"))
    sent_at = time.monotonic()
    with carl.post(
        action, {**fields, "body": "Across processes", "website": ""}, "application/json"
    ) as answer:
        assert answer.status == 201
        comment_id = json.loads(answer.read())["id"]

    event: dict[str, str] = {}
    while "data" not in event:
        line = response.readline().decode().rstrip("\n")
        if line and not line.startswith(":"):
            field, _, value = line.partition(": ")
            event[field] = value
    assert time.monotonic() - sent_at < within
    data = json.loads(event["data"])
    assert (data["id"], data["kind"]) == (comment_id, "added")
    assert "Across processes" in data["html"]
    stream.close()
    return comment_id, event
