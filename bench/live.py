"""The live-streams case: the post page under wrk while N comment streams are open.

For each worker class and each N (0, 100, 500 by default) a fresh `inkstand
serve` is started on the seeded database, with Redis as the event bus when one
answers (as in production: a comment posted through one worker reaches the
streams held by every worker at once). The case logs a reader in, warms the
post page up, reads the workers' resident memory, opens N streams on the post
(`streams.py`), runs the measured wrk, posts one comment halfway through, waits
for the streams to receive it, and reads the memory again.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from argon2 import PasswordHasher
from measure import Result, Retries, measured, warm_up
from servers import BIN, HOST, Server, free_port, rss_mb, serving, workers_of
from sqlalchemy import create_engine, select, update
from streams import Commenter, Streams

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.config import DEFAULTS

PASSWORD = secrets.token_urlsafe(16)  # the commenter's, made up for each run
HEARTBEAT = int(DEFAULTS["LIVE_HEARTBEAT_SECONDS"])


@dataclass
class Live:
    server: str  # the worker class
    streams: int
    opened: int
    delivered: int | None  # streams that received the comment (None: none posted)
    delivery_p50_s: float | None
    delivery_max_s: float | None
    rss_without_mb: float  # all workers, after the warm-up, before the streams
    rss_with_mb: float  # all workers, after the measured run, streams still open
    load: Result
    failures: list[str]
    logins: int | None = None  # log-ins made during the run, in the log-ins row

    @property
    def mb_per_stream(self) -> float | None:
        if not self.streams:
            return None
        return (self.rss_with_mb - self.rss_without_mb) / self.streams


@dataclass
class Target:
    url: str  # database
    post_id: int
    slug: str
    title: str
    login: str  # the post's author: her comments are approved at once


def prepare(url: str, slug: str, title: str) -> Target:
    """Give the post's author a password, so the case can log in and comment."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            post_id, author_id = conn.execute(
                select(Post.id, Post.author_id).where(Post.slug == slug)
            ).one()
            password_hash = PasswordHasher(
                time_cost=int(DEFAULTS["ARGON2_TIME_COST"]),
                memory_cost=int(DEFAULTS["ARGON2_MEMORY_COST"]),
            ).hash(PASSWORD)
            conn.execute(
                update(User).where(User.id == author_id).values(password_hash=password_hash)
            )
            login = conn.scalar(select(User.username).where(User.id == author_id))
    finally:
        engine.dispose()
    return Target(url, post_id, slug, title, str(login))


def redis_answers(url: str) -> bool:
    if not url:
        return False
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def server_env(env: dict[str, str], target: Target, redis_url: str) -> dict[str, str]:
    settings = {
        "INKSTAND_DATABASE_URL": target.url,
        "INKSTAND_COMMENT_MIN_SECONDS": "0",  # the form is posted as soon as it is read
        "INKSTAND_COMMENT_LIMITS_PER_ACCOUNT": "1000 per minute",
        "INKSTAND_COMMENT_LIMITS_PER_ADDRESS": "1000 per minute",
    }
    if redis_url:
        settings["INKSTAND_REDIS_URL"] = redis_url
        settings["INKSTAND_EVENTS_PREFIX"] = f"bench-{secrets.token_hex(4)}:events:"
    return {**env, **settings}


def command(kind: str, opts: argparse.Namespace, port: int) -> list[str]:
    cmd = [str(BIN / "inkstand"), "serve", "--workers", str(opts.workers), "--worker-class", kind]
    if kind == "gthread":
        cmd += ["--threads", str(opts.stream_threads)]
    return [*cmd, "--bind", f"{HOST}:{port}"]


def workers_rss(server: Server) -> float:
    return sum(mb for mb in map(rss_mb, workers_of(server.pid)) if mb is not None)


class LoggingIn:
    """Readers logging in one after another, on a thread, until the block ends: each
    log-in hashes a password (Argon2id), the heaviest thing a request does."""

    def __init__(self, port: int, target: Target) -> None:
        self.port, self.target, self.done = port, target, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            Commenter(self.port).login(self.target.login, PASSWORD)
            self.done += 1

    def __enter__(self) -> LoggingIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def measure_logins(
    kind: str, target: Target, env: dict[str, str], opts: argparse.Namespace,
    retries: Retries, tmp: Path,
) -> Live:  # fmt: skip
    """The post page while readers log in, one at a time, throughout the run."""
    port = free_port()
    path = f"/posts/{target.slug}"
    with serving(command(kind, opts, port), env, port, tmp / f"logins-{kind}.log") as server:
        body = warm_up("post, log-ins", None, server, path, opts, target.title)
        without = workers_rss(server)
        with LoggingIn(port, target) as logging_in:
            load = measured("post, log-ins", None, server, path, opts, retries, len(body))
        print(f"  {'':<14} {'':>6}  {kind}: {logging_in.done} log-ins during the run")
        return Live(
            server=kind, streams=0, opened=0, delivered=None, delivery_p50_s=None,
            delivery_max_s=None, rss_without_mb=without, rss_with_mb=workers_rss(server),
            load=load, failures=[], logins=logging_in.done,
        )  # fmt: skip


def measure_live(
    kind: str, count: int, target: Target, env: dict[str, str], opts: argparse.Namespace,
    retries: Retries, tmp: Path,
) -> Live:  # fmt: skip
    port = free_port()
    path = f"/posts/{target.slug}"
    case = f"post, {count} streams"
    with serving(command(kind, opts, port), env, port, tmp / f"live-{kind}-{count}.log") as server:
        commenter = Commenter(port)
        if count:
            commenter.login(target.login, PASSWORD)
        body = warm_up(case, None, server, path, opts, target.title)
        without = workers_rss(server)
        with Streams(port, f"/posts/{target.post_id}/comments/stream", count) as streams:
            posted: list[tuple[int, float]] = []

            def comment() -> None:
                if count and not posted:
                    text = f"Live with {count} streams open ({kind}, {secrets.token_hex(4)})."
                    # Timed from the request: streams may hear of it before the reply comes.
                    at = time.monotonic()
                    comment_id = commenter.comment(target.slug, target.post_id, text)
                    posted.append((comment_id, at))

            load = measured(
                case, None, server, path, opts, retries, len(body), midway=comment,
                others=frozenset(streams.client_ports),
            )  # fmt: skip
            delays: list[float] = []
            if posted:
                comment_id, at = posted[0]
                # Without Redis, streams in other workers learn of it at their heartbeat.
                deadline = at + HEARTBEAT + 5
                while time.monotonic() < deadline:
                    if len(streams.delivered(comment_id)) >= streams.opened:
                        break
                    time.sleep(0.2)
                delays = [when - at for when in streams.delivered(comment_id)]
            with_streams = workers_rss(server)
            print(
                f"  {'':<14} {'':>6}  {kind}: {streams.opened}/{count} streams open"
                + (f", {len(delays)} received the comment" if posted else "")
            )
            return Live(
                server=kind, streams=count, opened=streams.opened,
                delivered=len(delays) if posted else None,
                delivery_p50_s=statistics.median(delays) if delays else None,
                delivery_max_s=max(delays) if delays else None,
                rss_without_mb=without, rss_with_mb=with_streams, load=load,
                failures=sorted(set(streams.failures))[:5],
            )  # fmt: skip
