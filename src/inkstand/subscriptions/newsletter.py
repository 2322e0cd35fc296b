"""Mailing a new post to its subscribers, exactly once each, in batches that a crash
can interrupt. Each address is claimed (a committed "sending" row, unique per post and
address) before its mail goes, and marked "sent" once the SMTP server accepted it. A
run that takes over a stalled newsletter (its beat older than the threshold, so no
other run is alive) sends the "sending" rows again: a mail cut off mid-transaction was
never accepted. A worker killed after the server's 250 and before the mark sends that
one again, as the same message: every mail's Message-ID is drawn from the post, the
address's digest and the site's host, so mail systems that drop a repeated Message-ID
drop it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ScalarSelect, Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from inkstand.blog.models import Post
from inkstand.db import DbSession, utcnow
from inkstand.mail import Mailer
from inkstand.subscriptions.models import (
    SITE,
    Newsletter,
    NewsletterSend,
    SendState,
    Subscriber,
)
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
    one is left for this run. The newsletter is then finished, unless a claim is still
    "sending": another run has that mail on its way (it finishes the newsletter), or
    died with it (the sweep finds the newsletter stalled, and the run that takes it over
    sends it). A post no longer public, or deleted, finishes at once with nothing
    sent."""
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
    seen: set[str] = set(session.scalars(had))  # claimed: sent, failed, or on its way
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
        key = digest(recipient.email)
        if _claim(session, post_id, key, now):
            _send(session, mailer, post_id, mail, recipient, key, now)
    session.execute(
        update(Newsletter)
        .where(Newsletter.post_id == post_id)
        .values(beat_at=max(now, utcnow()), sent=_sent(post_id))
    )
    done = len(batch) < size
    if done:
        on_the_way = select(NewsletterSend.id).where(
            NewsletterSend.post_id == post_id, NewsletterSend.state == SendState.SENDING.value
        )
        session.execute(
            update(Newsletter)
            .where(Newsletter.post_id == post_id, ~on_the_way.exists())
            .values(finished_at=now)
        )
    session.commit()
    return done


def _sent(post_id: int) -> ScalarSelect[int]:
    return (
        select(func.count(NewsletterSend.id))
        .where(NewsletterSend.post_id == post_id, NewsletterSend.state == SendState.SENT.value)
        .scalar_subquery()
    )


def take_over(session: DbSession, post_id: int, now: datetime, stale: timedelta) -> bool:
    """Move the beat of a newsletter whose beat is older than ``stale``: True for the
    one run that did (no other run is alive), which then resumes the sends its dead
    run left on their way. Atomic, so of two runs queued for it one takes it over."""
    took = session.execute(
        update(Newsletter)
        .where(
            Newsletter.post_id == post_id,
            Newsletter.finished_at.is_(None),
            Newsletter.beat_at < now - stale,
        )
        .values(beat_at=now)
    )
    session.commit()
    return bool(took.rowcount)  # type: ignore[attr-defined]


def resume(
    session: DbSession, mailer: Mailer, post_id: int, letter: Callable[[Post], Letter],
    now: datetime,
) -> int:  # fmt: skip
    """Send again every mail of ``post_id`` still "sending" (claimed by a run that died
    before the server's answer was recorded); only by the run that took it over. A
    claim whose subscriber has left since is dropped. The number sent again."""
    sending = select(NewsletterSend.address_digest).where(
        NewsletterSend.post_id == post_id, NewsletterSend.state == SendState.SENDING.value
    )
    left = set(session.scalars(sending))
    post = session.scalar(select(Post).options(joinedload(Post.author)).where(Post.id == post_id))
    if not left or post is None or not post.is_public(now):
        return 0
    again: list[tuple[Recipient, str]] = []
    for subscriber in session.scalars(_recipients(post).order_by(Subscriber.id)):
        key = digest(subscriber.email)
        if key in left:
            left.discard(key)
            again.append((Recipient(subscriber.id, subscriber.email, subscriber.key), key))
    if left:
        session.execute(
            delete(NewsletterSend).where(
                NewsletterSend.post_id == post_id,
                NewsletterSend.address_digest.in_(left),
                NewsletterSend.state == SendState.SENDING.value,
            )
        )
        session.commit()
    mail = letter(post)
    for recipient, key in again:
        _send(session, mailer, post_id, mail, recipient, key, now)
    return len(again)


def message_id(post_id: int, key: str, host: str) -> str:
    """The Message-ID of ``post_id``'s mail to the address of digest ``key``: the same
    every time it is sent, so a resend is the same message."""
    return f"<newsletter.{post_id}.{key[:24]}@{host}>"


def _claim(session: DbSession, post_id: int, key: str, now: datetime) -> bool:
    """Claim the send before the mail goes, committed ("sending"): False when the
    address is claimed already (another run has it or had it)."""
    session.add(NewsletterSend(post_id=post_id, address_digest=key, sent_at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _send(
    session: DbSession, mailer: Mailer, post_id: int, mail: Letter, recipient: Recipient,
    key: str, now: datetime,
) -> None:  # fmt: skip
    """Mail one claimed address, then mark its claim "sent" ("failed" when refused) and
    move the newsletter's beat, in one commit."""
    text, html, headers = mail.parts(recipient)
    state = SendState.SENT
    try:
        mailer.send(recipient.email, mail.subject, text, html=html, headers=headers)
    except Exception:  # one bad address or a refusal must not stop the others
        log.exception("newsletter of post %s not sent to subscriber %s", post_id, recipient.id)
        state = SendState.FAILED
    at = max(now, utcnow())  # the beat moves with each mail, however long the batch
    session.execute(
        update(NewsletterSend)
        .where(NewsletterSend.post_id == post_id, NewsletterSend.address_digest == key)
        .values(state=state.value, sent_at=at)
    )
    session.execute(update(Newsletter).where(Newsletter.post_id == post_id).values(beat_at=at))
    session.commit()
