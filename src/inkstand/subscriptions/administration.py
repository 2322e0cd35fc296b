"""What admins do with subscribers: see how many and how they grew, list and search
them, remove one, export them as CSV, import another platform's list, and ask
imported ones to confirm. Every function checks its actor here."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from inkstand import audit, text
from inkstand.accounts.models import User
from inkstand.accounts.services import normalise_email, require_admin
from inkstand.analytics.export import csv_text
from inkstand.audit import Action, Target
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Invalid, NotFound
from inkstand.pagination import Cursor, Page, keyset_page
from inkstand.subscriptions.links import SubscriptionLinks
from inkstand.subscriptions.models import SITE, Consent, Subscriber
from inkstand.subscriptions.services import ConfirmMail, address_key

PER_PAGE = 50
SEARCH_MAX = 100
MONTHS = 12
IMPORT_BYTES_MAX = 512 * 1024  # within MAX_CONTENT_LENGTH, which answers a larger body 413
IMPORT_ROWS_MAX = 10_000
BAD_ROWS_SHOWN = 50
ADDRESS_HEADERS = {"email", "e-mail", "email address", "e-mail address", "mail", "address"}


@dataclass(frozen=True)
class Overview:
    confirmed: int
    unconfirmed: int
    imported: int
    months: list[tuple[datetime, int]]  # new confirmed subscribers per month, oldest first

    @property
    def peak(self) -> int:
        return max([count for _, count in self.months] + [1])


def _month_starts(now: datetime) -> list[datetime]:
    year, month = now.year, now.month
    starts = []
    for _ in range(MONTHS):
        starts.append(now.replace(year=year, month=month, day=1, hour=0, minute=0, second=0,
                                  microsecond=0))  # fmt: skip
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def overview(session: DbSession, actor: User | None, now: datetime) -> Overview:
    """The counts, and the growth of the last twelve months: one query."""
    require_admin(actor)
    starts = _month_starts(now)
    ends = [*starts[1:], None]
    confirmed = Subscriber.confirmed_at
    columns = [
        func.count(confirmed),
        func.count(Subscriber.id) - func.count(confirmed),
        func.sum(case((Subscriber.consent == Consent.IMPORT.value, 1), else_=0)),
    ]
    for start, end in zip(starts, ends, strict=True):
        inside = confirmed >= start if end is None else (confirmed >= start) & (confirmed < end)
        columns.append(func.sum(case((inside, 1), else_=0)))
    row = session.execute(select(*columns)).one()
    counts = [int(value or 0) for value in row]
    return Overview(counts[0], counts[1], counts[2], list(zip(starts, counts[3:], strict=True)))


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_subscribers(
    session: DbSession, actor: User | None, search: str = "", *,
    before: Cursor | None = None, after: Cursor | None = None, size: int = PER_PAGE,
) -> Page[Subscriber]:  # fmt: skip
    """One page of subscribers, newest first, whose address holds ``search``; by keyset
    on (created_at, id), in one query (the author each names comes with it)."""
    require_admin(actor)
    stmt = select(Subscriber)
    term = text.clean(search).strip().lower()[:SEARCH_MAX]
    if term:
        stmt = stmt.where(Subscriber.email.like(_like(term), escape="\\"))
    return keyset_page(
        session, stmt, Subscriber.created_at, Subscriber.id,
        lambda s: Cursor(s.created_at, s.id), size, before=before, after=after,
    )  # fmt: skip


def authors_of(session: DbSession, subscribers: Sequence[Subscriber]) -> dict[int, str]:
    """The usernames of the authors a page of subscriptions names: one query, or none."""
    ids = {s.author_id for s in subscribers if s.author_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row.id: row.username for row in rows}


def _get(session: DbSession, subscriber_id: int) -> Subscriber:
    found = session.get(Subscriber, subscriber_id) if 0 < subscriber_id <= ID_MAX else None
    if found is None:
        raise NotFound("No such subscriber: removed already?")
    return found


def _target(subscriber: Subscriber) -> Target:
    """A subscriber in the audit log: by id and scope, not by address (the log is kept
    for years; the address goes when the subscription does)."""
    return Target("subscriber", subscriber.id, f"subscriber {subscriber.id} ({subscriber.scope})")


def remove(session: DbSession, actor: User | None, subscriber_id: int) -> Subscriber:
    """Remove a subscriber: nothing more is mailed to it. Raises Forbidden or NotFound."""
    require_admin(actor)
    subscriber = _get(session, subscriber_id)
    audit.record(session, actor, Action.SUBSCRIBER_REMOVED, _target(subscriber))
    session.delete(subscriber)
    session.commit()
    return subscriber


def ask_to_confirm(
    session: DbSession, actor: User | None, links: SubscriptionLinks, subscriber_id: int,
    mail: ConfirmMail, now: datetime,
) -> Subscriber:  # fmt: skip
    """Ask an imported subscriber to confirm by a mailed link: until it is pressed
    nothing is mailed to it (and unpressed, it is deleted when the link expires).
    Raises Forbidden, NotFound, or Invalid (it confirmed by a link already)."""
    require_admin(actor)
    subscriber = _get(session, subscriber_id)
    if subscriber.consent != Consent.IMPORT.value:
        raise Invalid.field("subscriber", "This subscriber confirmed by a link already.")
    subscriber.confirmed_at = None
    subscriber.created_at = now  # unconfirmed, it is kept until its link expires
    subscriber.confirm_nonce = secrets.token_urlsafe(16)
    audit.record(session, actor, Action.SUBSCRIBER_ASKED, _target(subscriber))
    session.commit()
    mail.may_mail(address_key(subscriber.email))
    mail.mailer.send(
        subscriber.email,
        f"Do you still want new posts of {mail.site_title}?",
        f"You were on a list of subscribers that {mail.site_title} has moved here. To go on "
        f"getting new posts by e-mail, open this link and press the button:\n\n"
        f"{mail.link_for(links.confirm_token(subscriber))}\n\n"
        f"If you do nothing, nothing more will be sent to you and your address is deleted "
        f"in {links.max_age // 3600} hours.",
    )
    return subscriber


def export_csv(session: DbSession, actor: User | None) -> str:
    """Every subscriber as formula-safe CSV (a cell a spreadsheet would run is quoted);
    the audit log records who took the list."""
    require_admin(actor)
    audit.record(session, actor, Action.SUBSCRIBERS_EXPORTED, Target.site())
    session.commit()
    rows = session.execute(
        select(
            Subscriber.email, Subscriber.scope, Subscriber.consent, Subscriber.created_at,
            Subscriber.confirmed_at,
        ).order_by(Subscriber.id)
    )  # fmt: skip
    return csv_text(
        ("email", "scope", "consent", "subscribed_at", "confirmed_at"),
        (
            (email, scope, consent, made.isoformat(), sure.isoformat() if sure else "")
            for email, scope, consent, made, sure in rows
        ),
    )


@dataclass
class ImportReport:
    added: int = 0
    known: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, why), the first ones
    bad_count: int = 0

    def refuse(self, line: int, why: str) -> None:
        self.bad_count += 1
        if len(self.bad) < BAD_ROWS_SHOWN:
            self.bad.append((line, why))


def import_csv(session: DbSession, actor: User | None, data: bytes, now: datetime) -> ImportReport:
    """Add the addresses of another platform's CSV export as confirmed site subscribers,
    marked consented-by-import. The column is the one headed like "email", else the
    first; a row that is no address is reported by its line, never stored. Raises
    Invalid (on "file": too large, not text, or too many rows)."""
    require_admin(actor)
    if len(data) > IMPORT_BYTES_MAX:
        raise Invalid.field("file", f"The file is over {IMPORT_BYTES_MAX // 1024} KB: split it.")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid.field("file", "The file is not UTF-8 text: save it as CSV (UTF-8).") from exc
    try:
        rows = list(csv.reader(io.StringIO(content, newline="")))
    except csv.Error as exc:
        raise Invalid.field("file", f"The file is not CSV: {exc}.") from exc
    if len(rows) > IMPORT_ROWS_MAX + 1:
        raise Invalid.field("file", f"The file has over {IMPORT_ROWS_MAX} rows: split it.")
    report = ImportReport()
    column, first = _address_column(rows)
    known = set(session.scalars(select(Subscriber.email).where(Subscriber.scope == SITE)))
    for line, row in enumerate(rows[first:], start=first + 1):
        if not any(cell.strip() for cell in row):
            continue
        raw = row[column] if column < len(row) else ""
        try:
            email = normalise_email(text.clean(raw)[:320])
        except Invalid:
            report.refuse(line, f"“{text.clean(raw)[:80]}” is not an e-mail address.")
            continue
        if email in known:
            report.known += 1
            continue
        known.add(email)
        session.add(
            Subscriber(
                email=email,
                scope=SITE,
                key=secrets.token_urlsafe(16),
                consent=Consent.IMPORT.value,
                created_at=now,
                confirmed_at=now,
            )
        )
        report.added += 1
    details = {"added": report.added, "known": report.known, "refused": report.bad_count}
    audit.record(session, actor, Action.SUBSCRIBERS_IMPORTED, Target.site(), details)
    session.commit()
    return report


def _address_column(rows: list[list[str]]) -> tuple[int, int]:
    """The column that holds the addresses, and the first row of data."""
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        for index, name in enumerate(header):
            if name in ADDRESS_HEADERS:
                return index, 1
    return 0, 0
