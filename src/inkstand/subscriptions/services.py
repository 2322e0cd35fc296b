"""Subscribing by e-mail: asking (double opt-in), confirming, unsubscribing. Whether an
address is subscribed already is never said: every request gets the same answer."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from inkstand.accounts.models import Role, User
from inkstand.accounts.passwords import LinkProblem
from inkstand.accounts.services import normalise_email
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Invalid, NotFound
from inkstand.mail import Mailer
from inkstand.subscriptions.links import SubscriptionLinks
from inkstand.subscriptions.models import SITE, Consent, Subscriber, author_scope


def address_key(email: str) -> str:
    """Whom the one-mail-an-hour quota counts: the address, as a digest."""
    return "subscriber " + hashlib.sha256(email.encode()).hexdigest()


def digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()


@dataclass(frozen=True)
class ConfirmMail:
    """What a confirmation mail is sent with: the mailer, the site's title, how the door
    turns a token into a full link, and the quota that allows a mail to an address."""

    mailer: Mailer
    site_title: str
    link_for: Callable[[str], str]
    may_mail: Callable[[str], bool]


def writer(session: DbSession, username: str) -> User:
    """The author a subscription names: an account that writes. Raises NotFound."""
    found = session.scalar(select(User).where(User.username == username))
    if found is None or not found.has_role(Role.AUTHOR) or found.suspended_at is not None:
        raise NotFound("No such author.")
    return found


def subscribe(
    session: DbSession, links: SubscriptionLinks, email: str, author: User | None,
    mail: ConfirmMail,
) -> None:  # fmt: skip
    """Ask for new posts of the site (``author`` None) or of one author, at ``email``:
    an unconfirmed subscription and a mailed link to confirm it, at most one mail an
    hour to an address. An address subscribed already gets nothing new, and the caller
    cannot tell. Raises Invalid (on "email": not an address)."""
    email = normalise_email(email)
    scope = SITE if author is None else author_scope(author.id)
    found = session.scalar(
        select(Subscriber).where(Subscriber.email == email, Subscriber.scope == scope)
    )
    if found is not None and found.confirmed:
        return
    if not mail.may_mail(address_key(email)):
        return
    if found is None:
        found = Subscriber(
            email=email, scope=scope, author_id=author.id if author else None,
            key=secrets.token_urlsafe(16),
        )  # fmt: skip
        session.add(found)
    found.confirm_nonce = secrets.token_urlsafe(16)  # a newer link kills an older one
    session.commit()
    whose = mail.site_title if author is None else f"{author.name} on {mail.site_title}"
    mail.mailer.send(
        email,
        f"Confirm your subscription to {whose}",
        f"Someone, probably you, asked for new posts of {whose} by e-mail at this address."
        f"\n\nTo confirm, open this link and press the button:\n\n"
        f"{mail.link_for(links.confirm_token(found))}\n\n"
        f"The link works for {links.max_age // 3600} hours. If you did not ask, ignore "
        f"this mail: nothing will be sent to you.",
    )


_PROBLEMS = {
    LinkProblem.EXPIRED: "This confirmation link has expired. Subscribe again for a new one.",
    LinkProblem.USED: "This link was used already, or a newer one was sent.",
    LinkProblem.BROKEN: "This link is not valid: it may have been cut short when copied.",
}


def pending(session: DbSession, links: SubscriptionLinks, token: str) -> Subscriber:
    """The unconfirmed subscription a confirmation link names. Raises Invalid (on
    "token": expired, used, or not valid)."""
    found = links.read_confirm(token)
    if isinstance(found, LinkProblem):
        raise Invalid.field("token", _PROBLEMS[found])
    ident, nonce = found
    subscriber = session.get(Subscriber, ident) if 0 < ident <= ID_MAX else None
    if subscriber is None or not links.matches(subscriber.confirm_nonce, nonce):
        raise Invalid.field("token", _PROBLEMS[LinkProblem.USED])
    return subscriber


def confirm(session: DbSession, links: SubscriptionLinks, token: str, now: datetime) -> Subscriber:
    """Confirm the subscription a link names; the link is spent. Raises Invalid."""
    subscriber = pending(session, links, token)
    subscriber.confirmed_at = subscriber.confirmed_at or now
    subscriber.consent = Consent.LINK.value
    subscriber.confirm_nonce = None
    session.commit()
    return subscriber


def leaving(session: DbSession, links: SubscriptionLinks, token: str) -> Subscriber | None:
    """The subscription an unsubscribe link names; None when it has ended already.
    Raises Invalid (on "token": the link is not valid)."""
    found = links.read_unsubscribe(token)
    if isinstance(found, LinkProblem):
        raise Invalid.field("token", _PROBLEMS[LinkProblem.BROKEN])
    ident, key = found
    subscriber = session.get(Subscriber, ident) if 0 < ident <= ID_MAX else None
    if subscriber is None or not links.matches(subscriber.key, key):
        return None
    return subscriber


def unsubscribe(session: DbSession, links: SubscriptionLinks, token: str) -> Subscriber | None:
    """End the subscription an unsubscribe link names: its row goes. Doing it twice is
    the same as once (None the second time). Raises Invalid (the link is not valid)."""
    subscriber = leaving(session, links, token)
    if subscriber is not None:
        session.delete(subscriber)
        session.commit()
    return subscriber


def of_addresses(session: DbSession, emails: list[str]) -> list[Subscriber]:
    """Every subscription of these addresses, oldest first (a person's own data)."""
    if not emails:
        return []
    stmt = select(Subscriber).where(Subscriber.email.in_(emails)).order_by(Subscriber.id)
    return list(session.scalars(stmt))
