"""The audit log: one row per administrative action, written by the service that acts,
in its own transaction, through ``record``; never changed afterwards.

A core module, not a feature, so that accounts (the lowest feature) records too. It
imports no feature and no Flask: who acts is anything with an ``id`` and a
``username``, and where the request came from (the door and the address) is set once
per request by ``runtime`` and once per command by ``commands`` (``acting_from``).
Without either (a background job), the door is "system".

An importer records its run with ``record(session, actor, Action.SITE_IMPORTED,
Target.site(), details={"format": ..., "posts": n, ...})`` before its commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, Index, String, delete, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from inkstand.db import IDS_NEVER_REUSED, Base, DbSession, UTCDateTime, utcnow

LABEL_MAX = 200


class Action(StrEnum):
    """Every kind of entry; the admin page's filter lists them in this order."""

    ROLE_CHANGED = "account.role_changed"
    SUSPENDED = "account.suspended"
    UNSUSPENDED = "account.unsuspended"
    TWO_FACTOR_RESET = "account.two_factor_reset"
    INVITED = "account.invited"
    INVITATION_WITHDRAWN = "account.invitation_withdrawn"
    ACCOUNT_DELETED = "account.deleted"
    ADMIN_CREATED = "account.admin_created"
    TOKEN_CREATED = "token.created"  # noqa: S105 (an action's name, not a secret)
    TOKEN_REVOKED = "token.revoked"  # noqa: S105
    SETTINGS_CHANGED = "site.settings_changed"
    SITE_IMPORTED = "site.imported"
    SITE_EXPORTED = "site.exported"
    COMMENT_APPROVED = "comment.approved"
    COMMENT_SPAM = "comment.marked_spam"
    COMMENT_DELETED = "comment.deleted"
    POST_DELETED = "post.deleted"
    POST_RESTORED = "post.restored"
    PAGE_DELETED = "page.deleted"
    SUBSCRIBER_REMOVED = "subscriber.removed"
    SUBSCRIBER_ASKED = "subscriber.asked_to_confirm"
    SUBSCRIBERS_IMPORTED = "subscribers.imported"
    SUBSCRIBERS_EXPORTED = "subscribers.exported"
    TRASH_PURGED = "trash.purged"
    MEDIA_DELETED = "media.deleted"
    PRUNED = "audit.pruned"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Action.ROLE_CHANGED: "Role changed",
    Action.SUSPENDED: "Account suspended",
    Action.UNSUSPENDED: "Suspension lifted",
    Action.TWO_FACTOR_RESET: "Two-factor log-in turned off",
    Action.INVITED: "Invitation sent",
    Action.INVITATION_WITHDRAWN: "Invitation withdrawn",
    Action.ACCOUNT_DELETED: "Account deleted",
    Action.ADMIN_CREATED: "Admin account made",
    Action.TOKEN_CREATED: "API token made",
    Action.TOKEN_REVOKED: "API token revoked",
    Action.SETTINGS_CHANGED: "Site settings changed",
    Action.SITE_IMPORTED: "Content imported",
    Action.SITE_EXPORTED: "Site exported",
    Action.COMMENT_APPROVED: "Comment approved",
    Action.COMMENT_SPAM: "Comment marked as spam",
    Action.COMMENT_DELETED: "Comment deleted by a moderator",
    Action.POST_DELETED: "Another's post deleted",
    Action.POST_RESTORED: "Another's post restored",
    Action.PAGE_DELETED: "Page deleted",
    Action.SUBSCRIBER_REMOVED: "Subscriber removed",
    Action.SUBSCRIBER_ASKED: "Subscriber asked to confirm",
    Action.SUBSCRIBERS_IMPORTED: "Subscribers imported",
    Action.SUBSCRIBERS_EXPORTED: "Subscribers exported",
    Action.TRASH_PURGED: "Trash purged",
    Action.MEDIA_DELETED: "Another's image deleted",
    Action.PRUNED: "Older entries pruned",
}


class Door(StrEnum):
    HTML = "html"
    API_V1 = "api/v1"
    REALWORLD = "api"
    CLI = "cli"
    SYSTEM = "system"  # a background job or the scheduler: no request, no command

    @property
    def label(self) -> str:
        return _DOORS[self]


_DOORS = {
    Door.HTML: "Site",
    Door.API_V1: "API",
    Door.REALWORLD: "RealWorld API",
    Door.CLI: "Command line",
    Door.SYSTEM: "Scheduled",
}


@dataclass(frozen=True)
class Origin:
    door: Door
    address: str | None = None


CLI = Origin(Door.CLI)
SYSTEM = Origin(Door.SYSTEM)
_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


@contextmanager
def acting_from(origin: Origin) -> Iterator[None]:
    """Entries recorded inside are marked as coming from ``origin``."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def enter(origin: Origin) -> object:
    """Mark what follows as coming from ``origin`` until ``leave`` (a request's hooks)."""
    return _origin.set(origin)


def leave(token: object) -> None:
    _origin.reset(token)  # type: ignore[arg-type]


def origin() -> Origin:
    return _origin.get() or SYSTEM


class Actor(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...


@dataclass(frozen=True)
class Target:
    """What an action was done to, as it was: its kind, id and a label to read."""

    kind: str
    id: int | None
    label: str

    @classmethod
    def account(cls, user: Actor) -> Target:
        return cls("account", user.id, user.username)

    @classmethod
    def site(cls) -> Target:
        return cls("site", None, "the site")


class AuditEntry(Base):
    """One administrative action. Nothing in the app changes or deletes a row (the
    session refuses to flush such a change); ``inkstand audit prune`` is the one way
    out. The actor is kept by id and name, not a foreign key, so an entry outlives
    the account that made it."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created_at_id", "created_at", "id"),
        Index("ix_audit_log_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_log_target", "target_kind", "target_id", "created_at"),
        Index("ix_audit_log_action_created_at", "action", "created_at"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(30))  # "" for the system
    action: Mapped[str] = mapped_column(String(40))
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(LABEL_MAX))
    door: Mapped[str] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: DbSession,
    actor: Actor | None,
    action: Action,
    target: Target,
    details: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction; it is written by the caller's commit
    and rolled back with it. ``details`` is a small JSON object: never a secret."""
    where = origin()
    entry = AuditEntry(
        created_at=now or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "",
        action=action.value,
        target_kind=target.kind,
        target_id=target.id,
        target_label=target.label[:LABEL_MAX],
        door=where.door.value,
        address=where.address,
        details=dict(details or {}),
    )
    session.add(entry)
    return entry


def prune(session: DbSession, before: datetime, now: datetime | None = None) -> int:
    """Delete the entries older than ``before`` (the operator's ``inkstand audit prune``,
    the one way out of the log), and record that it was done. Returns how many went."""
    gone = session.execute(
        delete(AuditEntry)
        .where(AuditEntry.created_at < before)
        .execution_options(synchronize_session=False)
    )
    count = int(gone.rowcount or 0)  # type: ignore[attr-defined]
    record(
        session, None, Action.PRUNED, Target("audit", None, "the audit log"),
        {"before": before.isoformat(), "entries": count}, now=now,
    )  # fmt: skip
    session.commit()
    return count


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an entry through the ORM."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context: object, _instances: object) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEntry) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise AuditLogIsAppendOnly("audit entries are never changed or deleted")
