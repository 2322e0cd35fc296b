"""Outgoing mail: SMTP when configured, otherwise files in instance/outbox/."""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mailer:
    sender: str
    outbox: Path
    server: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    use_tls: bool = True

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        if self.server:
            self._send_smtp(message)
        else:
            self._write_outbox(message)

    def _send_smtp(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.server, self.port, timeout=10) as smtp:
            if self.use_tls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
        log.info("mail sent to %s: %s", message["To"], message["Subject"])

    def _write_outbox(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        path = self.outbox / f"{time.time_ns()}.eml"
        path.write_bytes(message.as_bytes())
        log.info("mail to %s written to %s: %s", message["To"], path, message["Subject"])
