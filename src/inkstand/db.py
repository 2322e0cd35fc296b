"""The declarative base every model shares, and column types used across features."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import Connection, DateTime, MetaData, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# What services receive: a plain Session, or the app's scoped session proxying one.
DbSession: TypeAlias = Session | scoped_session[Any]

# The largest id an Integer primary key holds (PostgreSQL's integer is 32 bits).
ID_MAX = 2**31 - 1

# The table argument of every table whose ids clients see: SQLite's AUTOINCREMENT, so a
# deleted row's id is never given to a new one (PostgreSQL's sequences never go back).
IDS_NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    return datetime.now(UTC)


def insert_many(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (values of ``columns``, in the table's order) with one executemany
    of the driver, in ``connection``'s transaction: the INSERT that SQLAlchemy would send,
    compiled once, and each value converted by its column's type as SQLAlchemy would,
    without its per-row parameter handling (most of the cost of a large batch).
    Raises StatementError for a value its type refuses, DBAPIError for the database's
    refusal."""
    statement, names, processors = _insert_statement(connection.dialect, table, columns)
    try:
        values: list[Any] = [_converted(row, processors) for row in rows] if processors else [*rows]
        if names:  # a driver with named parameters (psycopg's %(name)s)
            values = [dict(zip(names, row, strict=True)) for row in values]
    except Exception as error:  # as SQLAlchemy reports a value it cannot bind
        raise StatementError(str(error), statement, None, error) from error
    connection.exec_driver_sql(statement, values)


Processor: TypeAlias = Callable[[Any], Any]


@lru_cache(maxsize=16)
def _insert_statement(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[str, tuple[str, ...], tuple[tuple[int, Processor], ...]]:
    """The INSERT's text for the driver; the names of its parameters, in ``columns``'
    order, if they are named; the bind processor of each column that has one."""
    compiled = insert(table).compile(dialect=dialect, column_keys=columns, for_executemany=True)
    order = tuple(compiled.positiontup or compiled.bind_names.values())
    if order != columns:
        raise ValueError(f"columns not in the order of {table.name}'s: {order}")
    processors = tuple(
        (n, found)
        for n, name in enumerate(columns)
        if (found := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    )
    return compiled.string, () if compiled.positional else columns, processors


def _converted(
    row: Sequence[Any], processors: tuple[tuple[int, Processor], ...]
) -> tuple[Any, ...]:
    values = list(row)
    for n, process in processors:
        values[n] = process(values[n])
    return tuple(values)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    marked as UTC on the way out; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Inkstand stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PublicContent:
    """Marks models whose rows visitors see: saving one bumps the content version,
    which retires every cached page (see site/models.py and blog/pagecache.py).

    ``private_fields`` names columns visitors never see; a change to those alone
    (a rehashed password, say) keeps the cached pages.
    """

    private_fields: frozenset[str] = frozenset()

    def shown_to_visitors(self) -> bool:
        """Whether visitors see this row, before or after the change being saved;
        rows they see in no state (a held comment) keep the cached pages."""
        return True


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
