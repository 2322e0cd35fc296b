"""Mail goes out through a real SMTP server when one is configured."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from inkstand.mail import Mailer
from tests.helpers import read_mail


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_smtp_delivery(smtp, tmp_path):
    inbox, port = smtp
    mailer = Mailer(sender="Inkstand <blog@example.com>", outbox=tmp_path, server="127.0.0.1",
                    port=port, use_tls=False)  # fmt: skip
    mailer.send("ada@example.com", "Hello", "A body.")
    message = read_mail(inbox.messages[0])
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Hello"
    assert message.get_content().strip() == "A body."
    assert list(tmp_path.iterdir()) == []


def test_without_a_server_mail_is_written_to_the_outbox(tmp_path):
    Mailer(sender="blog@example.com", outbox=tmp_path / "outbox").send("a@example.com", "S", "B")
    (written,) = (tmp_path / "outbox").iterdir()
    assert read_mail(written.read_bytes())["Subject"] == "S"


def test_a_callers_message_id_stands_instead_of_a_new_one(smtp, tmp_path):
    inbox, port = smtp
    mailer = Mailer("Inkstand <noreply@example.org>", tmp_path, "127.0.0.1", port, use_tls=False)
    fixed = {"Message-ID": "<newsletter.7.abc@example.org>"}
    mailer.send("reader@example.org", "Hello", "Body.", headers=fixed)
    mailer.send("reader@example.org", "Hello", "Body.", headers=fixed)
    mailer.send("reader@example.org", "Hello", "Body.")
    first, second, own = (read_mail(data) for data in inbox.messages)
    assert first.get_all("Message-ID") == second.get_all("Message-ID") == [fixed["Message-ID"]]
    assert own["Message-ID"] not in (None, fixed["Message-ID"])
