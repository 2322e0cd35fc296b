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


# The content version is one row, which every write of public content updates: its
# lock is held from that UPDATE to the commit, and every other writer, in every
# process, waits for it. So a change only marks the session, and the new version is
# written once, as the transaction commits (after its last flush), in the same
# transaction: the lock is then held for the commit alone, not for the rest of the work
# (under load, writers queued behind it for up to 30 seconds; see `make soak`).
CHANGED = "content_changed"  # session.info: the transaction changed public content


@event.listens_for(Session, "after_flush")
def _mark_content_change(session: Session, flush_context: Any) -> None:
    """Note a flush that changes what visitors see; the version follows at commit."""
    dirty = any(_visible_change(session, o) for o in session.dirty)
    if dirty or _public(session.new) or _public(session.deleted):
        session.info[CHANGED] = True


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
    if getattr(result, "rowcount", 0):
        state.session.info[CHANGED] = True
    return result


@event.listens_for(Session, "before_commit")
def _new_version_at_commit(session: Session) -> None:
    """Flush what is left, then write a new version if the transaction changed public
    content: the last statement before COMMIT, in the same transaction, so every process
    sees the new version exactly when it sees the new content."""
    session.flush()
    if not session.info.get(CHANGED):
        return
    version = uuid.uuid4().hex
    conn = session.connection()
    row = SiteSetting.key == CONTENT_VERSION
    if conn.execute(update(SiteSetting).where(row).values(value=version)).rowcount == 0:
        conn.execute(insert(SiteSetting).values(key=CONTENT_VERSION, value=version))


@event.listens_for(Session, "after_commit")
def _announce_content_change(session: Session) -> None:
    if session.info.pop(CHANGED, False):
        for listener in content_change_listeners:
            listener()


@event.listens_for(Session, "after_rollback")
def _forget_content_change(session: Session) -> None:
    session.info.pop(CHANGED, None)
