"""Marks: a row saying that one account marked one thing (a follow, a favourite),
set and taken off idempotently, with a count beside it kept by relative updates.

Features build their rules on these (who may mark what); this module knows none of
them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, delete, inspect, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from inkstand.db import Base, DbSession


@dataclass(frozen=True)
class Count:
    """A number of marks kept in ``column`` of the row ``where`` picks, changed by
    relative updates (``count + 1``) so that two marks at once both count."""

    column: InstrumentedAttribute[int]
    where: ColumnElement[bool]

    def change(self, session: DbSession, by: int) -> None:
        session.execute(
            update(self.column.class_)
            .where(self.where)
            .values({self.column.key: self.column + by})
            .execution_options(synchronize_session="fetch")
        )


def mark(session: DbSession, row: Base, count: Count | None = None) -> bool:
    """Save ``row`` unless it is saved already, counting it; commits. Marking twice, or a
    twin request marking at the same moment, is the same outcome. Returns whether this
    call made the mark."""
    key = inspect(type(row)).primary_key_from_instance(row)
    if session.get(type(row), key) is not None:
        return False
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # a twin request marked it first: the same outcome
        session.rollback()
        return False
    if count is not None:
        count.change(session, +1)
    session.commit()
    return True


def unmark(session: DbSession, row: Base, count: Count | None = None) -> bool:
    """Delete the saved row with ``row``'s primary key, if any, uncounting it; commits.
    Taking a mark off twice changes nothing. Returns whether this call took it off."""
    mapper = inspect(type(row))
    key = mapper.primary_key_from_instance(row)
    where = [column == value for column, value in zip(mapper.primary_key, key, strict=True)]
    result = session.execute(delete(type(row)).where(*where))
    gone = cast(CursorResult[Any], result).rowcount
    if gone and count is not None:
        count.change(session, -gone)
    session.commit()
    return bool(gone)


def marked(
    session: DbSession, by: InstrumentedAttribute[int], on: InstrumentedAttribute[int],
    marker_id: int | None, ids: Iterable[int],
) -> set[int]:  # fmt: skip
    """Which of ``ids`` (in column ``on``) the account ``marker_id`` (in column ``by``)
    has marked, in one query; none for a visitor (None)."""
    wanted = set(ids)
    if marker_id is None or not wanted:
        return set()
    return set(session.scalars(select(on).where(by == marker_id, on.in_(wanted))))
