"""Keyset pagination: every page costs the same, however deep."""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute

from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import DomainError

T = TypeVar("T")

# Microseconds since 1970 (negative before it: a post may be dated earlier), then the id.
_CURSOR = re.compile(r"^(-?[0-9]{1,18})-([0-9]{1,12})$")  # ASCII digits only
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadCursor(DomainError):
    status = 400
    title = "This page link is broken or out of date."


@dataclass(frozen=True)
class Cursor:
    """A position in a list ordered by (time, id)."""

    at: datetime
    id: int

    @property
    def value(self) -> datetime:
        return self.at

    def encode(self) -> str:
        return f"{(self.at - EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor | None:
        if not raw:
            return None
        match = _CURSOR.match(raw)
        if not match or int(match[2]) > ID_MAX:
            raise BadCursor()
        try:
            at = EPOCH + timedelta(microseconds=int(match[1]))
        except (OverflowError, OSError, ValueError) as exc:
            raise BadCursor() from exc
        return cls(at, int(match[2]))


@dataclass(frozen=True)
class TextCursor:
    """A position in a list ordered by a text (a title), then id. Encoded as the id and
    the text, base64url, so any text makes a URL-safe cursor."""

    text: str
    id: int

    _MAX = 1400  # the encoding of the longest title the database keeps, and more

    @property
    def value(self) -> str:
        return self.text

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.id}:{self.text}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str | None) -> TextCursor | None:
        """The cursor ``raw`` names, None for none. Raises BadCursor."""
        if not raw:
            return None
        if len(raw) > cls._MAX or not raw.isascii():
            raise BadCursor()
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise BadCursor() from exc
        ident, colon, text = decoded.partition(":")
        if not colon or not ident.isdigit() or not 0 < int(ident) <= ID_MAX or "\x00" in text:
            raise BadCursor()
        return cls(text, int(ident))


@dataclass(frozen=True)
class RankCursor:
    """A position in a list ordered by a computed rank (lower first), then id (higher
    first): search results. Encoded as the rank's exact 8 bytes and the id, base64url."""

    rank: float
    id: int

    _FORMAT = struct.Struct(">dI")

    def encode(self) -> str:
        packed = self._FORMAT.pack(self.rank, self.id)
        return base64.urlsafe_b64encode(packed).decode().rstrip("=")

    @classmethod
    def decode(cls, raw: str | None) -> RankCursor | None:
        """The cursor ``raw`` names, None for none. Raises BadCursor."""
        if not raw:
            return None
        if len(raw) != 16 or not raw.isascii():
            raise BadCursor()
        try:
            rank, ident = cls._FORMAT.unpack(base64.urlsafe_b64decode(raw + "=" * 4))
        except (binascii.Error, struct.error, ValueError) as exc:
            raise BadCursor() from exc
        if not math.isfinite(rank) or not 0 < ident <= ID_MAX:
            raise BadCursor()
        return cls(rank, ident)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    newer: str | None
    older: str | None


def keyset_page(
    session: DbSession,
    stmt: Select[Any],
    at_column: ColumnElement[Any] | InstrumentedAttribute[Any],
    id_column: ColumnElement[Any] | InstrumentedAttribute[Any],
    key: Callable[[T], Cursor],
    size: int,
    before: Cursor | None = None,
    after: Cursor | None = None,
    oldest_first: bool = False,
    params: Mapping[str, Any] | None = None,
) -> Page[T]:
    """One page of ``stmt`` (newest first) just before ``before`` or just after ``after``;
    or, ``oldest_first``, a list read forward in time: its first page, or the one just
    after ``after``, in that order (``newer`` then names the next page). ``params``: the
    values of ``stmt``'s bound parameters."""
    if after is not None or oldest_first:
        if after is not None:
            stmt = stmt.where(
                at_column >= after.at,  # a range the index can seek to; the OR alone is not
                or_(at_column > after.at, and_(at_column == after.at, id_column > after.id)),
            )
        stmt = stmt.order_by(at_column.asc(), id_column.asc())
        rows = list(session.scalars(stmt.limit(size + 1), params).unique())
        has_newer = len(rows) > size
        forward = rows[:size]
        return Page(
            forward if oldest_first else list(reversed(forward)),
            newer=key(forward[-1]).encode() if has_newer and forward else None,
            older=key(forward[0]).encode() if after is not None and forward else None,
        )

    if before is not None:
        stmt = stmt.where(
            at_column <= before.at,  # so a page 50,000 deep starts where it is (see above)
            or_(at_column < before.at, and_(at_column == before.at, id_column < before.id)),
        )
    stmt = stmt.order_by(at_column.desc(), id_column.desc())
    rows = list(session.scalars(stmt.limit(size + 1), params).unique())
    has_older = len(rows) > size
    items = rows[:size]
    return Page(
        items,
        newer=key(items[0]).encode() if before is not None and items else None,
        older=key(items[-1]).encode() if has_older and items else None,
    )


class Position(Protocol):
    """A cursor of ``ordered_page``: the sort key's value and the id at a place."""

    @property
    def value(self) -> Any: ...

    @property
    def id(self) -> int: ...

    def encode(self) -> str: ...


P = TypeVar("P", bound=Position)


def ordered_page(
    session: DbSession,
    stmt: Select[Any],
    key_column: ColumnElement[Any] | InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    key: Callable[[T], Position],
    size: int,
    *,
    descending: bool,
    onward: Position | None = None,
    back: Position | None = None,
    any_of: Sequence[ColumnElement[bool]] = (),
    options: Sequence[Any] = (),
) -> Page[T]:
    """One page of ``stmt`` sorted by ``key_column`` then id, both descending or both
    ascending: the first page, the one just past ``onward`` (``Page.older`` names the
    next page), or the one just before ``back`` (``Page.newer`` names the previous one),
    always in the list's own order. One query, seeking by key whatever the depth.

    ``any_of``: the rows are those of ``stmt`` matching any of these conditions. Each
    is paged on its own (its page of ids, by its own index) and the page is taken from
    their union, so an OR of two indexed conditions never sorts every match. The loader
    ``options`` apply to the page's rows (``stmt`` itself must have none)."""

    def past(at: Position, forward: bool) -> ColumnElement[bool]:
        later = forward != descending  # moving to larger keys
        if later:
            return or_(key_column > at.value, and_(key_column == at.value, id_column > at.id))
        return or_(key_column < at.value, and_(key_column == at.value, id_column < at.id))

    forward = back is None
    if onward is not None:
        stmt = stmt.where(past(onward, True))
    if back is not None:
        stmt = stmt.where(past(back, False))
    ascending = forward != descending
    order = (
        (key_column.asc(), id_column.asc()) if ascending else (key_column.desc(), id_column.desc())
    )
    if any_of:
        pages = [
            stmt.with_only_columns(id_column).where(c).order_by(*order).limit(size + 1).subquery()
            for c in any_of
        ]
        # The page is among these few ids: read them by key, not by the filters again.
        entity = stmt.column_descriptions[0]["entity"]
        stmt = select(entity).where(id_column.in_(union_all(*(select(p.c[0]) for p in pages))))
    stmt = stmt.options(*options)
    rows = list(session.scalars(stmt.order_by(*order).limit(size + 1)).unique())
    more = len(rows) > size
    items = rows[:size] if forward else list(reversed(rows[:size]))
    if not items:
        return Page(items, newer=None, older=None)
    if forward:
        return Page(
            items,
            newer=key(items[0]).encode() if onward is not None else None,
            older=key(items[-1]).encode() if more else None,
        )
    return Page(
        items, newer=key(items[0]).encode() if more else None, older=key(items[-1]).encode()
    )
