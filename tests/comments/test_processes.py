"""Two real app processes sharing PostgreSQL and Redis, as in production: a
comment posted through one arrives on a stream opened on the other."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
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
from tests.helpers import PASSWORD, Factory, comment_form, need_service, separate_app

HOST = "127.0.0.1"
START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


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


def start(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    inkstand = shutil.which("inkstand", path=str(Path(sys.executable).parent)) or "inkstand"
    command = [inkstand, "serve", "--bind", f"{HOST}:{port}", "--workers", "1"]
    with log.open("wb") as output:  # the child keeps its own copy of the file
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    ends = time.monotonic() + START_SECONDS
    while time.monotonic() < ends:
        assert process.poll() is None, f"the app process stopped:\n{log.read_text()}"
        connection = http.client.HTTPConnection(HOST, port, timeout=1)
        try:
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail(f"the app process did not start serving:\n{log.read_text()}")


@pytest.fixture
def two_processes(postgres_url: str, tmp_path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Two `inkstand serve` processes on one PostgreSQL database and one Redis,
    with a post by "writer" and a reader "carl"; both bases and the post."""
    redis_url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    settings = {"REDIS_URL": redis_url, "REDIS_PREFIX": prefix}
    with separate_app(tmp_path / "setup", postgres_url, **settings) as app:
        factory = Factory(app)
        admin = factory.user(Role.ADMIN, "boss")
        site.update(db.session, admin, comment_policy="open")
        factory.user(Role.READER, "carl")
        post = factory.post(factory.user(Role.AUTHOR, "writer"), "Talk to me")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("INKSTAND_")},
            "INKSTAND_DATABASE_URL": postgres_url,
            "INKSTAND_REDIS_URL": redis_url,
            "INKSTAND_REDIS_PREFIX": prefix,
            "INKSTAND_SECRET_KEY": "two-processes-test-key",
            "INKSTAND_COMMENT_MIN_SECONDS": "0",
            "INKSTAND_LOG_LEVEL": "WARNING",
            "INKSTAND_LIVE_HEARTBEAT_SECONDS": "1",  # a closed stream is noticed at once
        }
        processes = []
        try:
            bases = []
            for name in ("one", "two"):
                port, log = free_port(), tmp_path / f"{name}.log"
                instance = tmp_path / name
                instance.mkdir()
                process = start(port, {**env, "INKSTAND_INSTANCE_PATH": str(instance)}, log)
                processes.append(process)
                wait_until_serving(port, process, log)
                bases.append(f"http://{HOST}:{port}")
            yield bases[0], bases[1], {"id": post.id, "slug": post.slug}
        finally:
            for process in processes:
                os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            client.close()


def test_a_comment_through_one_process_reaches_a_stream_on_the_other(
    two_processes: tuple[str, str, dict[str, Any]],
) -> None:
    one, two, post = two_processes
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
    assert time.monotonic() - sent_at < 2
    data = json.loads(event["data"])
    assert (data["id"], data["kind"]) == (comment_id, "added")
    assert "Across processes" in data["html"]
    stream.close()

    # The first process replays the same event, by the same id, to a reader who missed it.
    replay = json.loads(Browser(one).get(f"/posts/{post['id']}/comments/updates?after=0"))
    assert [(e["event"], e["id"]) for e in replay["events"]] == [(int(event["id"]), comment_id)]
