"""The declarative base every model shares, and column types used across features."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
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
