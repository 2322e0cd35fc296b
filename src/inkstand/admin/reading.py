"""The audit log's page: entries newest first, filtered, one query a page. Admins only
(accounts.permissions.can_read_audit_log); nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from inkstand import audit, text
from inkstand.accounts.models import User
from inkstand.accounts.permissions import can_read_audit_log
from inkstand.audit import AuditEntry
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid
from inkstand.pagination import Cursor, Page, keyset_page

ENTRIES_PER_PAGE = 50
NAME_MAX = 30


@dataclass(frozen=True)
class AuditQuery:
    """The page's filters; each None or "" means any."""

    action: str = ""
    actor: str = ""  # a username: the account's entries under any name, or that name's
    target: str = ""  # the username of the account acted on
    since: date | None = None  # the first day (UTC) shown
    until: date | None = None  # the last day (UTC) shown


def _account(name: str, ids: Any, names: Any) -> ColumnElement[bool]:
    """Entries naming the account now called ``name`` (by its id, whatever it was
    called then) or, for a deleted or renamed one, by the name they kept."""
    now_called = select(User.id).where(func.lower(User.username) == name).scalar_subquery()
    return or_(ids == now_called, func.lower(names) == name)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def require_reader(actor: User | None) -> User:
    """Raises Forbidden unless ``actor`` may read the audit log."""
    if actor is None or not can_read_audit_log(actor):
        raise Forbidden("Only admins read the audit log.")
    return actor


def entries(
    session: DbSession,
    actor: User | None,
    query: AuditQuery,
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = ENTRIES_PER_PAGE,
) -> Page[AuditEntry]:
    """One page of entries, newest first, by keyset on (created_at, id), in one query.
    Raises Forbidden (not an admin) or Invalid (an unknown action, a reversed range)."""
    require_reader(actor)
    if query.action and query.action not in {a.value for a in audit.Action}:
        raise Invalid.field("action", "Choose a kind of action from the list.")
    if query.since and query.until and query.since > query.until:
        raise Invalid.field("until", "The last day comes after the first.")
    stmt = select(AuditEntry)
    if query.action:
        stmt = stmt.where(AuditEntry.action == query.action)
    if who := text.clean(query.actor).strip().lstrip("@").lower()[:NAME_MAX]:
        stmt = stmt.where(_account(who, AuditEntry.actor_id, AuditEntry.actor_name))
    if whom := text.clean(query.target).strip().lstrip("@").lower()[:NAME_MAX]:
        stmt = stmt.where(
            AuditEntry.target_kind == "account",
            _account(whom, AuditEntry.target_id, AuditEntry.target_label),
        )
    if query.since:
        stmt = stmt.where(AuditEntry.created_at >= _day_start(query.since))
    if query.until:
        stmt = stmt.where(AuditEntry.created_at < _day_start(query.until) + timedelta(days=1))
    return keyset_page(
        session, stmt, AuditEntry.created_at, AuditEntry.id,
        lambda e: Cursor(e.created_at, e.id), size, before=before, after=after,
    )  # fmt: skip
