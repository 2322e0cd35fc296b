"""Stream clients: N real Server-Sent Events connections to one URL, held open.

An asyncio loop in a thread of its own opens the connections (a few dozen at a
time), counts a stream as open once its `retry:` line has arrived (the first
thing Inkstand's stream sends, so the server really is holding it), then keeps
reading every stream and notes when each one received an event for a comment.
The benchmark's own thread meanwhile runs wrk and posts a comment
(`Commenter`, a logged-in reader using the site's HTML forms).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import re
import resource
import threading
import time
import urllib.parse
from types import TracebackType

from servers import HOST

OPENING_AT_ONCE = 50  # connections being opened at any moment


def raise_file_limit(wanted: int) -> None:
    """Raise this process's open-file limit (and its children's) towards ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Streams:
    """``count`` streams on ``path``, opened on entry and closed on exit."""

    def __init__(self, port: int, path: str, count: int, open_timeout: float = 20.0) -> None:
        self.port, self.path, self.count, self.open_timeout = port, path, count, open_timeout
        self.opened = 0
        self.client_ports: set[int] = set()  # our ends of the connections
        self.received: list[dict[int, float]] = [{} for _ in range(count)]  # comment -> when
        self.failures: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Streams:
        self._thread.start()
        if self.count:
            future = asyncio.run_coroutine_threadsafe(self._open_all(), self._loop)
            future.result(timeout=self.open_timeout + 30)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async def cancel() -> None:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(cancel(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def delivered(self, comment_id: int) -> list[float]:
        """When each stream that received ``comment_id`` received it (monotonic seconds)."""
        with self._lock:
            return [seen[comment_id] for seen in self.received if comment_id in seen]

    async def _open_all(self) -> None:
        gate = asyncio.Semaphore(OPENING_AT_ONCE)
        ready = [asyncio.get_running_loop().create_future() for _ in range(self.count)]
        self._tasks = [
            asyncio.create_task(self._hold(i, gate, ready[i])) for i in range(self.count)
        ]
        done, _ = await asyncio.wait(ready, timeout=self.open_timeout)
        self.opened = sum(1 for f in done if not f.cancelled() and f.exception() is None)

    async def _hold(self, index: int, gate: asyncio.Semaphore, ready: asyncio.Future[None]) -> None:
        try:
            async with gate:
                reader, writer = await asyncio.open_connection(HOST, self.port)
                self.client_ports.add(writer.get_extra_info("sockname")[1])
                writer.write(
                    f"GET {self.path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode()
                )
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                    raise RuntimeError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                chunked = b"transfer-encoding: chunked" in head.lower()
                buffer = b""
                while b"\n\n" not in buffer:  # the first event: the retry: line
                    buffer += await _next(reader, chunked)
            first, buffer = buffer.split(b"\n\n", 1)
            if not first.startswith(b"retry:"):
                raise RuntimeError(f"first event was {first[:40]!r}, not retry:")
            ready.set_result(None)
            while True:
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    self._note(index, event)
                data = await _next(reader, chunked)
                if not data:
                    return
                buffer += data
        except asyncio.CancelledError:
            raise
        except Exception as failure:  # counted: the stream is not open
            with self._lock:
                self.failures.append(f"{type(failure).__name__}: {failure}")
            if not ready.done():
                ready.set_exception(failure)

    def _note(self, index: int, event: bytes) -> None:
        for line in event.split(b"\n"):
            if line.startswith(b"data:"):
                comment = json.loads(line[5:]).get("id")
                if isinstance(comment, int):
                    with self._lock:
                        self.received[index].setdefault(comment, time.monotonic())


async def _next(reader: asyncio.StreamReader, chunked: bool) -> bytes:
    """The next piece of the body: one chunk when chunked, else what has arrived."""
    if not chunked:
        return await reader.read(65536)
    size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
    if size == 0:
        return b""
    return (await reader.readexactly(size + 2))[:-2]


class Commenter:
    """A reader who logs in and posts comments through the site's own forms."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def _request(
        self, method: str, path: str, form: dict[str, str] | None = None, json_reply: bool = False
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        headers = {"Accept": "application/json" if json_reply else "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, data
        finally:
            conn.close()

    def login(self, login: str, password: str) -> None:
        _, page = self._request("GET", "/login")
        status, _ = self._request(
            "POST", "/login", {"csrf_token": _field(page, "csrf_token"), "login": login,
                               "password": password},
        )  # fmt: skip
        if status != 302:
            raise RuntimeError(f"log-in as {login} gave {status}, not a redirect")

    def comment(self, slug: str, post_id: int, body: str) -> int:
        """Post an approved comment; returns its id."""
        _, page = self._request("GET", f"/posts/{slug}")
        form = {"csrf_token": _field(page, "csrf_token"), "stamp": _field(page, "stamp"),
                "body": body, "website": ""}  # fmt: skip
        status, reply = self._request("POST", f"/posts/{post_id}/comments", form, json_reply=True)
        answer = json.loads(reply) if reply.startswith(b"{") else {}
        if status != 201 or answer.get("status") != "approved":
            raise RuntimeError(f"posting a comment gave {status}: {reply[:300]!r}")
        comment_id: int = answer["id"]
        return comment_id


def _field(page: bytes, name: str) -> str:
    match = re.search(rb'name="' + name.encode() + rb'"[^>]*?value="([^"]*)"', page)
    if not match:
        raise RuntimeError(f"no {name} field on the page")
    return match[1].decode()
