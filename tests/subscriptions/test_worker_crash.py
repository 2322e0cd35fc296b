"""The newsletter job in a real RQ worker process against real Redis, killed (SIGKILL)
while the SMTP server holds a mail it has not yet answered, and run again: every
subscriber gets the post exactly once, the one whose mail was cut off included."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.subscriptions import jobs
from inkstand.subscriptions.models import Newsletter, NewsletterSend, SendState, Subscriber
from tests.helpers import Factory, free_port, read_mail

SUBSCRIBERS = 30
HELD = 8  # the mail (counted from 0) held unanswered while the worker is killed


class SlowInbox:
    """An SMTP server that takes a while over each mail, and holds one of them long
    before its answer, so a worker can be killed in the middle of that transaction. As a
    real server, it keeps a mail only once it answers 250: a client gone before that
    (aiosmtpd then cancels the handler) left nothing delivered."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.dropped: list[bytes] = []
        self.holding = threading.Event()
        self._seen = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        held = self._seen == HELD
        self._seen += 1
        try:
            if held:
                self.holding.set()
                await asyncio.sleep(30)
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            self.dropped.append(envelope.content)
            raise
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


def test_a_worker_killed_mid_mail_then_a_takeover_mail_everyone_exactly_once(
    rq_app: Flask, tmp_path: Path
):
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
        assert inbox.holding.wait(60), log.read_text()
        assert first.poll() is None, log.read_text()
        os.killpg(first.pid, signal.SIGKILL)  # the held mail is on the wire, unanswered
        first.wait(10)
        ends = time.monotonic() + 10
        while not inbox.dropped:  # the server sees the connection go
            assert time.monotonic() < ends
            time.sleep(0.02)
        assert len(inbox.messages) == HELD
        (cut,) = inbox.dropped
        cut_to = read_mail(cut)["To"]
        assert cut_to not in inbox.recipients()
        db.session.expire_all()
        states = Counter(db.session.scalars(select(NewsletterSend.state)))
        assert states == {SendState.SENT: HELD, SendState.SENDING: 1}

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
    everyone = Counter(f"reader{n}@example.org" for n in range(SUBSCRIBERS))
    assert received == everyone  # each exactly once, the cut-off mail's reader too
    assert cut_to in received
    resent = next(m for m in map(read_mail, inbox.messages) if m["To"] == cut_to)
    assert resent["Message-ID"] == read_mail(cut)["Message-ID"]  # the same message
    db.session.expire_all()
    states = Counter(db.session.scalars(select(NewsletterSend.state)))
    assert states == {SendState.SENT: SUBSCRIBERS}
    done = db.session.get(Newsletter, post.id)
    assert done.finished_at is not None
    assert done.sent == SUBSCRIBERS
