"""Mailing a new post to its subscribers, once each, in batches that a crash can
interrupt: each address's send is recorded (and committed) before its mail goes, so a
run started again skips it. At most once, never twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from inkstand.blog.models import Post
from inkstand.db import DbSession
from inkstand.mail import Mailer
from inkstand.subscriptions.models import SITE, Newsletter, NewsletterSend, Subscriber
from inkstand.subscriptions.services import digest

log = logging.getLogger(__name__)


def start_due(
    session: DbSession, now: datetime, lookback: timedelta, stale: timedelta
) -> list[int]:
    """The posts whose newsletter should run now: posts listed within ``lookback`` that
    have none yet (a newsletter is begun for each), and begun newsletters not finished
    whose last batch is older than ``stale`` (a worker died). Older posts are never
    mailed, so turning subscriptions on does not mail the archive."""
    begun = select(Newsletter.post_id)
    new = list(
        session.scalars(
            select(Post.id).where(
                Post.is_listed(now), Post.published_at >= now - lookback, Post.id.not_in(begun)
            )
        )
    )
    started = []
    for post_id in new:
        try:
            with session.begin_nested():
                session.add(Newsletter(post_id=post_id, started_at=now, beat_at=now))
        except IntegrityError:  # another process began it: that one sends it
            continue
        started.append(post_id)
    stalled = session.scalars(
        select(Newsletter.post_id).where(
            Newsletter.finished_at.is_(None), Newsletter.beat_at < now - stale
        )
    )
    due = started + [post_id for post_id in stalled if post_id not in started]
    session.commit()
    return due


@dataclass(frozen=True)
class Recipient:
    """A subscriber, as plain values read before any send commits."""

    id: int
    email: str
    key: str


@dataclass(frozen=True)
class Letter:
    """A post's mail: its subject, and both parts for one subscriber (which differ only
    by the subscriber's own unsubscribe link), with the headers that carry it."""

    subject: str
    parts: Callable[[Recipient], tuple[str, str, dict[str, str]]]


def _recipients(post: Post) -> Select[Subscriber]:
    return select(Subscriber).where(
        Subscriber.confirmed_at.is_not(None),
        or_(Subscriber.scope == SITE, Subscriber.author_id == post.author_id),
    )


def send_batch(
    session: DbSession, mailer: Mailer, post_id: int, letter: Callable[[Post], Letter],
    size: int, now: datetime,
) -> bool:  # fmt: skip
    """Mail the post to the next ``size`` subscribers who have not had it; True when no
    one is left (the newsletter is then finished). A post no longer public, or
    deleted, finishes at once with nothing sent."""
    post = session.scalar(select(Post).options(joinedload(Post.author)).where(Post.id == post_id))
    newsletter = session.get(Newsletter, post_id)
    if newsletter is None or newsletter.finished_at is not None:
        return True
    if post is None or not post.is_public(now):
        newsletter.finished_at = now
        session.commit()
        return True
    had = select(NewsletterSend.address_digest).where(NewsletterSend.post_id == post_id)
    batch: list[Recipient] = []
    seen: set[str] = set(session.scalars(had))
    for subscriber in session.scalars(_recipients(post).order_by(Subscriber.id)):
        key = digest(subscriber.email)
        if key in seen:  # had it, or subscribed to the site and the author both
            continue
        seen.add(key)
        batch.append(Recipient(subscriber.id, subscriber.email, subscriber.key))
        if len(batch) == size:
            break
    mail = letter(post)  # read now: a commit below expires the post
    for recipient in batch:
        if not _claim(session, post_id, digest(recipient.email), now):
            continue
        text, html, headers = mail.parts(recipient)
        try:
            mailer.send(recipient.email, mail.subject, text, html=html, headers=headers)
        except Exception:  # one bad address or a refusal must not stop the others
            log.exception("newsletter of post %s not sent to subscriber %s", post_id, recipient.id)
    session.execute(
        update(Newsletter)
        .where(Newsletter.post_id == post_id)
        .values(beat_at=now, sent=Newsletter.sent + len(batch))
    )
    done = len(batch) < size
    if done:
        session.execute(
            update(Newsletter).where(Newsletter.post_id == post_id).values(finished_at=now)
        )
    session.commit()
    return done


def _claim(session: DbSession, post_id: int, key: str, now: datetime) -> bool:
    """Record the send before the mail goes, committed: False when it was recorded
    already (another run sent it)."""
    session.add(NewsletterSend(post_id=post_id, address_digest=key, sent_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
