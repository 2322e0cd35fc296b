"""Newsletters as background work: a sweep (RQ's scheduler with Redis, a thread of the
app process without it) begins one for each newly listed post, a scheduled post's time
come included, and queues its job; the job mails batches with a pause between them, and
queues the rest as a job of its own when its time is spent. Every run may be cut short
and run again: ``newsletter.send_batch`` claims each send before its mail goes and marks
it sent after; a run that takes over a stalled newsletter sends what its dead run left
"sending" again, under the same Message-ID."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, render_template
from sqlalchemy import delete

from inkstand import jobs, limits, runtime
from inkstand.blog.models import Post
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from inkstand.site.context import site_settings
from inkstand.subscriptions import newsletter
from inkstand.subscriptions.links import SubscriptionLinks
from inkstand.subscriptions.models import Subscriber
from inkstand.subscriptions.services import ConfirmMail, digest
from inkstand.templating import absolute_url

log = logging.getLogger(__name__)
EXTENSION = "inkstand.subscriptions.sweeper"


def links() -> SubscriptionLinks:
    config = current_app.config
    return SubscriptionLinks(config["SECRET_KEY"], config["SUBSCRIPTION_LINK_MAX_AGE"])


def confirm_mail() -> ConfirmMail:
    """How this request mails a confirmation link (the site's pages and the API alike)."""
    return ConfirmMail(
        mailer=runtime.get().mailer,
        site_title=site_settings().title,
        link_for=lambda token: absolute_url("subscriptions.confirm", token=token),
        may_mail=limits.SUBSCRIPTION_MAIL.allows,
    )  # fmt: skip


def unsubscribe_url(recipient: newsletter.Recipient) -> str:
    token = links().unsubscribe_token(recipient)  # type: ignore[arg-type]
    return absolute_url("subscriptions.unsubscribe", token=token)


def letter(post: Post) -> newsletter.Letter:
    """The mail of ``post``: the whole post or its excerpt (the site's choice), as HTML
    and as text (its Markdown), with RFC 8058 one-click unsubscribe headers."""
    settings = site.load(db.session)
    full = settings.newsletter_content == "full"
    url = absolute_url("blog.show", slug=post.slug)
    host = _host(url)
    author = post.author.name

    def parts(recipient: newsletter.Recipient) -> tuple[str, str, dict[str, str]]:
        leave = unsubscribe_url(recipient)
        values = {
            "post": post,
            "full": full,
            "url": url,
            "author": author,
            "leave": leave,
            "site_title": settings.title,
        }
        text = render_template("subscriptions/mail.txt", **values)
        html = render_template("subscriptions/mail.html", **values)
        headers = {
            "Message-ID": newsletter.message_id(post.id, digest(recipient.email), host),
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.title} <posts.{host}>",
        }
        return text, html, headers

    return newsletter.Letter(subject=f"{post.title} · {settings.title}", parts=parts)


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"


def stale_after(config: Mapping[str, Any]) -> timedelta:
    """How long a newsletter's beat may stand before its run counts as dead: twice a
    job's time and a minute."""
    return timedelta(seconds=2 * config["NEWSLETTER_JOB_SECONDS"] + 60)


def send_newsletter(post_id: int) -> None:
    """Job: mail ``post_id`` to its subscribers, batch after batch, pausing between
    them; past NEWSLETTER_JOB_SECONDS, queue the rest as a new job. A run that finds
    the newsletter stalled takes it over and first sends again what was left on its
    way."""
    config = current_app.config
    started = time.monotonic()
    mailer = runtime.get().mailer
    if newsletter.take_over(db.session, post_id, utcnow(), stale_after(config)):
        resent = newsletter.resume(db.session, mailer, post_id, letter, utcnow())
        log.info("newsletter of post %s taken over; %s mails sent again", post_id, resent)
    while not newsletter.send_batch(
        db.session, mailer, post_id, letter, config["NEWSLETTER_BATCH_SIZE"],
        utcnow(),
    ):  # fmt: skip
        if time.monotonic() - started > config["NEWSLETTER_JOB_SECONDS"]:
            runtime.get().jobs.enqueue(f"{__name__}.{send_newsletter.__name__}", post_id)
            return
        time.sleep(config["NEWSLETTER_BATCH_PAUSE_MS"] / 1000)


def sweep_once(app: Flask) -> list[int]:
    """Begin the newsletters now due and queue them; drop unconfirmed subscriptions
    whose link has expired. Nothing while subscriptions are off."""
    config = app.config
    with app.app_context():
        try:
            now = utcnow()
            expired = now - timedelta(seconds=config["SUBSCRIPTION_LINK_MAX_AGE"])
            db.session.execute(
                delete(Subscriber).where(
                    Subscriber.confirmed_at.is_(None), Subscriber.created_at < expired
                )
            )
            db.session.commit()
            if not site.load(db.session).subscriptions_open:
                return []
            stale = stale_after(config)
            lookback = timedelta(hours=config["NEWSLETTER_LOOKBACK_HOURS"])
            due = newsletter.start_due(db.session, now, lookback, stale)
            for post_id in due:
                runtime.get().jobs.enqueue(f"{__name__}.{send_newsletter.__name__}", post_id)
            return due
        finally:
            db.session.remove()


def sweep() -> None:
    """Job: one sweep, then schedule the next one."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        sweep_once(app)
    finally:
        schedule_sweep(app)


def schedule_sweep(app: Flask) -> bool:
    """Schedule the next sweep at the next multiple of NEWSLETTER_SWEEP_SECONDS; False
    when there is nothing to schedule on (no Redis, or the interval is 0)."""
    path = f"{__name__}.{sweep.__name__}"
    interval = app.config["NEWSLETTER_SWEEP_SECONDS"]
    return jobs.schedule_next(runtime.get().jobs, path, interval, "newsletter-sweep")


def init_app(app: Flask) -> None:
    """Sweep by a thread of each process when jobs run inline (no Redis)."""
    interval: float = app.config["NEWSLETTER_SWEEP_SECONDS"]
    if interval <= 0 or isinstance(app.extensions["inkstand"].jobs, jobs.RQJobs):
        return
    sweeper = app.extensions[EXTENSION] = jobs.Every(
        "newsletter-sweep", interval, lambda: sweep_once(app)
    )
    app.before_request(sweeper.start)
