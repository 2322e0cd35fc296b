"""Site-wide settings an admin changes from the browser, and the content version."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import String, Text, event, insert, inspect, update
from sqlalchemy.engine import Result
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from inkstand.db import Base, PublicContent

CONTENT_VERSION = "content_version"


class SiteSetting(PublicContent, Base):
    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CommentPolicy(StrEnum):
    """The values of the ``comment_policy`` setting."""

    OPEN = "open"
    HOLD_FIRST = "hold_first"  # held until one of the writer's comments is approved
    HOLD_ALL = "hold_all"
    CLOSED = "closed"


# Called in this process after a commit that changed public content.
content_change_listeners: list[Callable[[], None]] = []


def _public(objects: Iterable[Any]) -> bool:
    return any(isinstance(o, PublicContent) and o.shown_to_visitors() for o in objects)


def _visible_change(session: Session, obj: Any) -> bool:
    """A changed row of public content, other than in fields visitors never see."""
    if not isinstance(obj, PublicContent) or not session.is_modified(obj):
        return False
    if not obj.shown_to_visitors():
        return False
    changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
    return bool(changed - obj.private_fields)


@event.listens_for(Session, "after_flush")
def _bump_content_version(session: Session, flush_context: Any) -> None:
    """Give the content a new version in the same transaction as the change, so
    every process sees the new version exactly when it sees the new content."""
    dirty = any(_visible_change(session, o) for o in session.dirty)
    if dirty or _public(session.new) or _public(session.deleted):
        _new_version(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_change(state: ORMExecuteState) -> Result[Any] | None:
    """The same for an UPDATE or DELETE statement on public content (a relative
    count such as ``favourite_count + 1``), which no flush sees, when it changes a row."""
    mapper = state.bind_mapper
    if not (state.is_update or state.is_delete) or mapper is None:
        return None
    if not issubclass(mapper.class_, PublicContent):
        return None
    result = state.invoke_statement()
    if getattr(result, "rowcount", 0) and not state.session.info.get("content_changed"):
        _new_version(state.session)
    return result


def _new_version(session: Session) -> None:
    version = uuid.uuid4().hex
    conn = session.connection()
    row = SiteSetting.key == CONTENT_VERSION
    if conn.execute(update(SiteSetting).where(row).values(value=version)).rowcount == 0:
        conn.execute(insert(SiteSetting).values(key=CONTENT_VERSION, value=version))
    session.info["content_changed"] = True


@event.listens_for(Session, "after_commit")
def _announce_content_change(session: Session) -> None:
    if session.info.pop("content_changed", False):
        for listener in content_change_listeners:
            listener()


@event.listens_for(Session, "after_rollback")
def _forget_content_change(session: Session) -> None:
    session.info.pop("content_changed", None)
