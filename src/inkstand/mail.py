"""Outgoing mail: SMTP when configured, otherwise files in instance/outbox/."""

from __future__ import annotations

import html
import logging
import re
import smtplib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
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

    def send(
        self, to: str, subject: str, body: str, *, html: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Send ``body`` as plain text, and as HTML: ``html``, or drawn from ``body`` (its
        links made links); ``headers`` added (List-Unsubscribe and the like)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        extra = dict(headers or {})
        # A caller's own Message-ID (the same on a resend) stands instead of a new one.
        message["Message-ID"] = extra.pop("Message-ID", None) or make_msgid(domain=domain)
        for name, value in extra.items():
            message[name] = value
        message.set_content(body)
        message.add_alternative(html if html is not None else as_html(body), subtype="html")
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


_LINK = re.compile(r"https?://[^\s<>\"']+")


def as_html(text: str) -> str:
    """A plain-text mail as HTML: each paragraph a <p>, each address a link, all escaped."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block, quote=True)
        linked = _LINK.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "<!doctype html>\n<html><body>\n" + "\n".join(paragraphs) + "\n</body></html>\n"
