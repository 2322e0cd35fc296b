"""The site the soak runs against: its own PostgreSQL and Redis, three `inkstand serve`
processes behind nginx, an RQ worker and an SMTP server, seeded with writers; and
the figures the soak measured, printed at the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from tests.helpers import (
    FAST_HASHING,
    Factory,
    build_app,
    free_port,
    process_env,
    start_server,
    wait_until_serving,
)

from inkstand.accounts import tokens
from inkstand.accounts.models import Role
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from soak.cluster import Inbox, Nginx, Postgres, RedisServer, SmtpServer, Worker
from soak.cluster import inkstand_command as inkstand

WRITERS = 64  # one client (a connection to nginx) each
PREFIX = "soak"
FIGURES: dict[str, str] = {}


@dataclass
class Site:
    root: Path
    postgres: Postgres
    redis: RedisServer
    nginx: Nginx
    worker: Worker
    inbox: Inbox
    processes: list[str]  # each app process's own base URL
    env: dict[str, str]
    writers: list[tuple[str, str]]  # (username, API token)
    author_token: str  # "quiet"'s, who wrote ``posts``
    posts: list[dict[str, Any]]  # posts by "quiet", who gets no comment mails
    mailee: dict[str, Any]  # a post by "mailee", who does
    database: Any  # an app on the soak's database, to count what was written

    def redis_keys(self, pattern: str) -> list[bytes]:
        client = redis.Redis.from_url(self.redis.url)
        try:
            return list(client.scan_iter(pattern))
        finally:
            client.close()


def _settings(postgres: Postgres, redis_server: RedisServer, smtp: SmtpServer, nginx: Nginx,
              media: Path) -> dict[str, str]:  # fmt: skip
    hashing = {name: str(value) for name, value in FAST_HASHING.items()}
    return process_env(
        DATABASE_URL=postgres.url, REDIS_URL=redis_server.url, REDIS_PREFIX=PREFIX,
        JOBS_QUEUE=PREFIX, SECRET_KEY="soak-" + "0" * 59, SITE_URL=nginx.base,
        PROXY_COUNT="1", MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port),
        MAIL_USE_TLS="false", MEDIA_PATH=str(media), COMMENT_MIN_SECONDS="0",
        # Every client comes through nginx from one address: the per-address budgets
        # would otherwise be the whole load's.
        COMMENT_LIMITS_PER_ADDRESS="100000 per minute",
        COMMENT_LIMITS_PER_ACCOUNT="1000 per minute",
        API_LIMITS="100000 per minute", API_LIMITS_PER_ADDRESS="100000 per minute",
        LIVE_HEARTBEAT_SECONDS="1", **hashing,
    )  # fmt: skip


def _seed(app: Any) -> tuple[list[tuple[str, str]], str, list[dict[str, Any]], dict[str, Any]]:
    factory = Factory(app)
    with app.app_context():
        admin = factory.user(Role.ADMIN, "boss")
        site.update(db.session, admin, comment_policy="open")
        quiet = factory.user(Role.AUTHOR, "quiet")
        quiet.notify_comments = False
        db.session.commit()
        _, author_token = tokens.create(db.session, quiet, "soak", "read-write", utcnow())
        posts = [
            {"id": p.id, "slug": p.slug, "title": p.title}
            for p in (factory.post(quiet, f"Soak post {n}") for n in range(10))
        ]
        mailee = factory.post(factory.user(Role.AUTHOR, "mailee"), "Tell me of comments")
        factory.user(Role.AUTHOR, "target")  # failed log-ins are counted against her
        writers = []
        for n in range(WRITERS):
            writer = factory.user(Role.AUTHOR, f"writer{n}")
            _, token = tokens.create(db.session, writer, "soak", "read-write", utcnow())
            writers.append((writer.username, token))
        return writers, author_token, posts, {"id": mailee.id, "slug": mailee.slug}


@pytest.fixture(scope="session")
def soak_site() -> Iterator[Site]:
    root = Path(tempfile.mkdtemp(prefix="inkstand-soak-"))
    root.chmod(0o755)  # the postgres user reaches its folder inside
    with ExitStack() as stack:
        if not os.environ.get("INKSTAND_SOAK_KEEP"):  # set it to read the logs after
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        postgres, redis_server = Postgres(root), RedisServer(root)
        smtp, nginx = SmtpServer(), Nginx(root)
        stack.callback(postgres.stop)
        postgres.start()
        stack.callback(redis_server.stop)
        redis_server.start()
        stack.callback(smtp.stop)
        smtp.start()
        env = _settings(postgres, redis_server, smtp, nginx, root / "media")
        subprocess.run([inkstand(), "db", "upgrade"], env={**env, "INKSTAND_INSTANCE_PATH":
                       str(root / "setup")}, check=True, capture_output=True)  # fmt: skip
        database = build_app(root / "setup", postgres.url, **FAST_HASHING)
        writers, author_token, posts, mailee = _seed(database)

        ports, bases = [free_port() for _ in range(3)], []
        for n, port in enumerate(ports):
            instance = root / f"app{n}"
            instance.mkdir()
            log = root / f"app{n}.log"
            process = start_server(port, {**env, "INKSTAND_INSTANCE_PATH": str(instance)}, log,
                                   "--workers", "2")  # fmt: skip
            stack.callback(_stop, process)
            wait_until_serving(port, process, log)
            bases.append(f"http://127.0.0.1:{port}")
        stack.callback(nginx.stop)
        nginx.start(ports)
        worker = Worker({**env, "INKSTAND_INSTANCE_PATH": str(root / "setup")}, root / "worker.log")
        stack.callback(lambda: worker.stop())
        worker.start()
        yield Site(root, postgres, redis_server, nginx, worker, smtp.inbox, bases, env,
                   writers, author_token, posts, mailee, database)  # fmt: skip
        with database.app_context():
            db.engine.dispose()


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("soak figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name:<44} {value}")
