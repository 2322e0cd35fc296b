"""Subscribers by e-mail, and the record of each post mailed to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from inkstand.db import IDS_NEVER_REUSED, Base, UTCDateTime, utcnow

SITE = "site"  # the scope of a subscription to the whole site


class Consent(StrEnum):
    """How a subscriber said yes."""

    LINK = "link"  # confirmed a mailed link (double opt-in)
    IMPORT = "import"  # imported by an admin from another platform's list


def author_scope(author_id: int) -> str:
    return f"author:{author_id}"


class Subscriber(Base):
    """An address that asked for new posts of the site (scope "site") or of one author
    (scope "author:<id>"). Unconfirmed until its mailed link is pressed; nothing is
    mailed to it before. Unsubscribing deletes the row."""

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("email", "scope"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    scope: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Carried by the confirmation link; cleared when it is pressed, so it works once.
    confirm_nonce: Mapped[str | None] = mapped_column(String(32))
    # Carried by every unsubscribe link; never changes while the row lives.
    key: Mapped[str] = mapped_column(String(32))
    consent: Mapped[str] = mapped_column(String(16), default=Consent.LINK.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} ({self.scope})>"


class Newsletter(Base):
    """A post being mailed, or mailed, to its subscribers: one row per post, so a post
    is sent out once. ``finished_at`` stays empty until every subscriber has had it."""

    __tablename__ = "newsletters"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved on by each batch: a newsletter whose worker died stops moving.
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent: Mapped[int] = mapped_column(default=0)


class SendState(StrEnum):
    """Where one address's mail of a post stands."""

    SENDING = "sending"  # claimed (committed) before the mail goes; sent again on takeover
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # the server refused it; not tried again


class NewsletterSend(Base):
    """One post mailed to one address, in two steps: claimed (committed, "sending")
    before the mail goes, then marked "sent" once the server took it. The claim is
    unique, so two live runs never mail one address; a run that takes over a stalled
    newsletter sends its "sending" rows again (a mail cut off mid-transaction was never
    accepted). The address is kept as a digest only."""

    __tablename__ = "newsletter_sends"
    __table_args__ = (UniqueConstraint("post_id", "address_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    address_digest: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8), default=SendState.SENDING.value)
    # When claimed, then when sent.
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
