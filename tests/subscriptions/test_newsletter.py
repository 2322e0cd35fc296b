"""A new post mailed to its subscribers once, through a real SMTP server: headers
(List-Unsubscribe, One-Click, Message-ID, Date), both parts, working links; site and
author subscribers; at most once when run again; a scheduled post when its time comes."""

from __future__ import annotations

import re
import secrets
import smtplib
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from inkstand.accounts.models import Role
from inkstand.blog.models import Status
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.mail import Mailer
from inkstand.site import services as site
from inkstand.subscriptions import jobs, newsletter
from inkstand.subscriptions.models import (
    SITE,
    Newsletter,
    NewsletterSend,
    SendState,
    Subscriber,
    author_scope,
)
from inkstand.subscriptions.services import digest
from tests.helpers import smtp_server


@pytest.fixture
def inbox(app):
    with smtp_server(app) as found:
        yield found


def subscribe(email: str, scope: str = SITE, author_id: int | None = None, confirmed=True):
    db.session.add(
        Subscriber(
            email=email,
            scope=scope,
            author_id=author_id,
            key=secrets.token_urlsafe(16),
            confirmed_at=utcnow() if confirmed else None,
        )
    )
    db.session.commit()


def test_a_new_post_is_mailed_once_to_each_confirmed_subscriber(app, factory, inbox):
    author = factory.user(Role.AUTHOR, "wren")
    other = factory.user(Role.AUTHOR, "finch")
    subscribe("site@example.org")
    subscribe("both@example.org")
    subscribe("both@example.org", author_scope(author.id), author.id)
    subscribe("wren-only@example.org", author_scope(author.id), author.id)
    subscribe("finch-only@example.org", author_scope(other.id), other.id)
    subscribe("unconfirmed@example.org", confirmed=False)
    post = factory.post(author, "Spring notes", body="It *rained*.\n\n<script>x</script>")

    assert jobs.sweep_once(app) == [post.id]
    to = Counter(mail["To"] for mail in inbox.mails())
    assert to == Counter(["site@example.org", "both@example.org", "wren-only@example.org"])
    mail = next(m for m in inbox.mails() if m["To"] == "site@example.org")
    assert mail["Subject"] == "Spring notes · Inkstand"
    assert mail["Message-ID"]
    assert mail["Date"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<(https?://inkstand\.test(/unsubscribe/\S+))>", mail["List-Unsubscribe"])
    assert found, mail["List-Unsubscribe"]
    text = mail.get_content()
    html = mail.get_body(("html",)).get_content()
    assert "It *rained*." in text
    assert found[1] in text
    assert "<em>rained</em>" in html
    assert "<script>" not in html
    assert f'href="{found[1]}"' in html
    assert "http://inkstand.test/posts/spring-notes" in text

    # Again: nothing more.
    assert jobs.sweep_once(app) == []
    jobs.send_newsletter(post.id)
    assert len(inbox.mails()) == 3
    assert db.session.get(Newsletter, post.id).finished_at is not None

    # The link in the mail works when followed, by a mail client's one-click POST.
    client = app.test_client()
    assert client.post(found[2], data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert (
        db.session.scalar(
            select(func.count(Subscriber.id)).where(Subscriber.email == "site@example.org")
        )
        == 0
    )


def test_the_excerpt_setting_mails_the_excerpt(app, factory, inbox):
    site.configure(db.session, "newsletter_content", "excerpt")
    subscribe("site@example.org")
    post = factory.post(factory.user(), "Long one", body="First words here.\n\n" + "More. " * 400)
    jobs.sweep_once(app)
    (mail,) = inbox.mails()
    assert "More. More. More. More. More. More. More. More." not in mail.get_content()
    assert post.excerpt[:20] in mail.get_content()
    assert "Read on" in mail.get_body(("html",)).get_content()


def test_many_subscribers_in_batches_each_get_one_mail(app, factory, inbox):
    app.config.update(NEWSLETTER_BATCH_SIZE=7, NEWSLETTER_BATCH_PAUSE_MS=0)
    for n in range(40):
        subscribe(f"reader{n}@example.org")
    post = factory.post(factory.user())
    jobs.sweep_once(app)
    to = Counter(mail["To"] for mail in inbox.mails())
    assert len(to) == 40
    assert set(to.values()) == {1}
    assert db.session.scalar(select(func.count(NewsletterSend.id))) == 40
    assert db.session.get(Newsletter, post.id).sent == 40


def test_a_run_cut_short_resumes_without_mailing_anyone_twice(app, factory, inbox, monkeypatch):
    app.config.update(NEWSLETTER_BATCH_SIZE=5, NEWSLETTER_BATCH_PAUSE_MS=0)
    for n in range(12):
        subscribe(f"reader{n}@example.org")
    post = factory.post(factory.user())
    real, calls = newsletter.send_batch, []

    def dies_after_one(*args, **kwargs):
        if calls:
            raise SystemExit("worker killed")
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(newsletter, "send_batch", dies_after_one)
    with pytest.raises(SystemExit):
        jobs.sweep_once(app)
    assert len(inbox.mails()) == 5
    monkeypatch.setattr(newsletter, "send_batch", real)
    # Not stale yet: the sweep leaves it to the worker that has it.
    assert jobs.sweep_once(app) == []
    newsletter_row = db.session.get(Newsletter, post.id)
    newsletter_row.beat_at -= timedelta(hours=1)
    db.session.commit()
    assert jobs.sweep_once(app) == [post.id]
    to = Counter(mail["To"] for mail in inbox.mails())
    assert len(to) == 12
    assert set(to.values()) == {1}


def test_drafts_old_posts_and_a_closed_site_are_not_mailed(app, factory, inbox):
    subscribe("site@example.org")
    author = factory.user()
    factory.post(author, status=Status.DRAFT.value)
    old = factory.post(author, now=utcnow() - timedelta(days=3))
    assert old.published_at < utcnow() - timedelta(days=2)
    assert jobs.sweep_once(app) == []
    site.configure(db.session, "subscriptions_open", "no")
    factory.post(author)
    assert jobs.sweep_once(app) == []
    assert inbox.mails() == []


def test_a_scheduled_post_is_mailed_when_its_time_comes(app, factory, inbox, monkeypatch):
    subscribe("site@example.org")
    author = factory.user()
    post = factory.post(author, publish_at=utcnow() + timedelta(minutes=5))
    assert jobs.sweep_once(app) == []
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(jobs, "utcnow", lambda: later)
    assert jobs.sweep_once(app) == [post.id]
    assert [m["To"] for m in inbox.mails()] == ["site@example.org"]


def _claims(post_id: int) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(NewsletterSend.address_digest, NewsletterSend.state).where(
            NewsletterSend.post_id == post_id
        )
    )
    return dict(rows.all())


def _begun(post_id: int, claims: dict[str, SendState]) -> None:
    """A newsletter as a run left it: begun now, with these addresses claimed."""
    db.session.add(Newsletter(post_id=post_id, started_at=utcnow(), beat_at=utcnow()))
    for email, state in claims.items():
        db.session.add(NewsletterSend(post_id=post_id, address_digest=digest(email), state=state))
    db.session.commit()


def _stall(post_id: int) -> None:
    row = db.session.get(Newsletter, post_id)
    row.beat_at -= timedelta(hours=1)
    row.finished_at = None
    db.session.commit()


def test_a_claim_left_sending_is_sent_by_the_run_that_takes_over_never_by_a_live_one(
    app, factory, inbox
):
    for name in ("sent", "sending", "new"):
        subscribe(f"{name}@example.org")
    post = factory.post(factory.user())
    _begun(post.id, {"sent@example.org": SendState.SENT, "sending@example.org": SendState.SENDING})

    # A run while the newsletter is alive (its beat fresh): another run may have that
    # mail on the wire, so it is left alone, and the newsletter is not finished.
    jobs.send_newsletter(post.id)
    assert [m["To"] for m in inbox.mails()] == ["new@example.org"]
    assert _claims(post.id)[digest("sending@example.org")] == SendState.SENDING
    assert db.session.get(Newsletter, post.id).finished_at is None
    assert jobs.sweep_once(app) == []  # not stalled yet

    # Stalled: the sweep queues it, and the run that takes it over sends the claim.
    _stall(post.id)
    assert jobs.sweep_once(app) == [post.id]
    to = Counter(m["To"] for m in inbox.mails())
    assert to == Counter(["new@example.org", "sending@example.org"])  # "sent": never again
    assert set(_claims(post.id).values()) == {SendState.SENT}
    done = db.session.get(Newsletter, post.id)
    assert done.finished_at is not None
    assert done.sent == 3
    mail = next(m for m in inbox.mails() if m["To"] == "sending@example.org")
    assert (
        mail["Message-ID"]
        == f"<newsletter.{post.id}.{digest('sending@example.org')[:24]}@inkstand.test>"
    )


def test_a_resend_is_the_same_message(app, factory, inbox):
    """A worker killed after the server's 250 and before its mark: the takeover sends
    that mail again, under the Message-ID it had, so mail systems drop the repeat."""
    subscribe("reader@example.org")
    subscribe("other@example.org")
    post = factory.post(factory.user())
    assert jobs.sweep_once(app) == [post.id]
    first = {m["To"]: m["Message-ID"] for m in inbox.mails()}
    assert len(set(first.values())) == 2

    db.session.execute(
        update(NewsletterSend)
        .where(NewsletterSend.address_digest == digest("reader@example.org"))
        .values(state=SendState.SENDING)
    )
    db.session.commit()
    _stall(post.id)
    assert jobs.sweep_once(app) == [post.id]
    again = [m for m in inbox.mails() if m["To"] == "reader@example.org"]
    assert len(again) == 2
    assert again[0]["Message-ID"] == again[1]["Message-ID"] == first["reader@example.org"]
    assert [m["To"] for m in inbox.mails()].count("other@example.org") == 1


def test_one_run_of_two_takes_a_stalled_newsletter_over(app, factory):
    post = factory.post(factory.user())
    _begun(post.id, {})
    now, stale = utcnow(), jobs.stale_after(app.config)
    assert not newsletter.take_over(db.session, post.id, now, stale)  # alive
    _stall(post.id)
    assert newsletter.take_over(db.session, post.id, now, stale)
    assert not newsletter.take_over(db.session, post.id, now, stale)  # the first one has it


def test_a_claim_whose_subscriber_left_is_dropped_on_takeover(app, factory, inbox):
    subscribe("stays@example.org")
    post = factory.post(factory.user())
    _begun(post.id, {"left@example.org": SendState.SENDING})
    _stall(post.id)
    assert jobs.sweep_once(app) == [post.id]
    assert [m["To"] for m in inbox.mails()] == ["stays@example.org"]
    assert _claims(post.id) == {digest("stays@example.org"): SendState.SENT}
    assert db.session.get(Newsletter, post.id).finished_at is not None


def test_a_refused_mail_is_marked_failed_and_not_tried_again(app, factory, inbox, monkeypatch):
    subscribe("refused@example.org")
    subscribe("fine@example.org")
    post = factory.post(factory.user())
    real = Mailer.send

    def refuses(self, to, *args, **kwargs):
        if to == "refused@example.org":
            raise smtplib.SMTPRecipientsRefused({to: (550, b"no such user")})
        return real(self, to, *args, **kwargs)

    monkeypatch.setattr(Mailer, "send", refuses)
    assert jobs.sweep_once(app) == [post.id]
    monkeypatch.setattr(Mailer, "send", real)
    _stall(post.id)
    assert jobs.sweep_once(app) == [post.id]
    assert [m["To"] for m in inbox.mails()] == ["fine@example.org"]
    assert _claims(post.id) == {
        digest("refused@example.org"): SendState.FAILED,
        digest("fine@example.org"): SendState.SENT,
    }
    assert db.session.get(Newsletter, post.id).sent == 1
