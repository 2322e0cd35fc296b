"""The newsletter job in a real RQ worker process against real Redis, killed halfway
through a send (a slow SMTP server) and run again: every subscriber gets the post at
most once, and all of them but the one whose mail was on the wire when it died get it."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.subscriptions import jobs
from inkstand.subscriptions.models import Newsletter, NewsletterSend, Subscriber
from tests.helpers import Factory, free_port, read_mail

SUBSCRIBERS = 30


class SlowInbox:
    """An SMTP server that takes a while over each mail, so a worker can be killed
    in the middle of a batch."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.1)
        self.messages.append(envelope.content)
        return "250 OK"

    def recipients(self) -> Counter[str]:
        return Counter(read_mail(data)["To"] for data in self.messages)


def worker(app: Flask, port: int, log: Path, *options: str) -> subprocess.Popen[bytes]:
    inkstand = shutil.which("inkstand", path=str(Path(sys.executable).parent)) or "inkstand"
    config = app.config
    env = {
        **os.environ,
        "INKSTAND_INSTANCE_PATH": app.instance_path,
        "INKSTAND_DATABASE_URL": config["DATABASE_URL"],
        "INKSTAND_REDIS_URL": config["REDIS_URL"],
        "INKSTAND_JOBS_QUEUE": config["JOBS_QUEUE"],
        "INKSTAND_SECRET_KEY": config["SECRET_KEY"],
        "INKSTAND_SITE_URL": "http://inkstand.test",
        "INKSTAND_MAIL_SERVER": "127.0.0.1",
        "INKSTAND_MAIL_PORT": str(port),
        "INKSTAND_MAIL_USE_TLS": "0",
        "INKSTAND_NEWSLETTER_BATCH_SIZE": "5",
        "INKSTAND_NEWSLETTER_BATCH_PAUSE_MS": "0",
        "INKSTAND_TRASH_PURGE_SECONDS": "0",
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [inkstand, "worker", "--simple", *options], env=env, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def test_a_killed_worker_then_a_rerun_mail_everyone_at_most_once(rq_app: Flask, tmp_path: Path):
    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    log = tmp_path / "worker.log"
    try:
        for n in range(SUBSCRIBERS):
            db.session.add(
                Subscriber(
                    email=f"reader{n}@example.org",
                    scope="site",
                    key=secrets.token_urlsafe(16),
                    confirmed_at=utcnow(),
                )
            )
        db.session.commit()
        post = Factory(rq_app).post(Factory(rq_app).user("author", "wren"), "Out now")
        assert jobs.sweep_once(rq_app) == [post.id]

        first = worker(rq_app, port, log)
        ends = time.monotonic() + 60
        while len(inbox.messages) < 8:
            assert time.monotonic() < ends, log.read_text()
            assert first.poll() is None, log.read_text()
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGKILL)  # mid-batch, a mail likely on the wire
        first.wait(10)
        time.sleep(0.3)  # the server finishes any mail it had whole
        cut = sum(inbox.recipients().values())
        assert 8 <= cut < SUBSCRIBERS

        # The next sweep leaves a newsletter that is still moving alone, and queues
        # one whose worker has stopped for long.
        db.session.expire_all()
        assert jobs.sweep_once(rq_app) == []
        stalled = db.session.get(Newsletter, post.id)
        stalled.beat_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        assert jobs.sweep_once(rq_app) == [post.id]
        second = worker(rq_app, port, log, "--burst")
        assert second.wait(120) == 0, log.read_text()
        time.sleep(0.3)
    finally:
        controller.stop()

    received = inbox.recipients()
    assert set(received.values()) == {1}, received  # no one twice
    db.session.expire_all()
    claimed = db.session.scalar(select(func.count(NewsletterSend.id)))
    assert claimed == SUBSCRIBERS
    # At most once: only a mail on the wire when the worker died may be lost.
    assert SUBSCRIBERS - 1 <= len(received) <= SUBSCRIBERS
    assert db.session.get(Newsletter, post.id).finished_at is not None
