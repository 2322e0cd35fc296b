"""Site-wide settings an admin changes from the browser, and the content version."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import String, Text, event, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from inkstand.db import Base, PublicContent

CONTENT_VERSION = "content_version"


class SiteSetting(PublicContent, Base):
    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# Called in this process after a commit that changed public content.
content_change_listeners: list[Callable[[], None]] = []


def _public(objects: Iterable[Any]) -> bool:
    return any(isinstance(o, PublicContent) for o in objects)


@event.listens_for(Session, "after_flush")
def _bump_content_version(session: Session, flush_context: Any) -> None:
    """Give the content a new version in the same transaction as the change, so
    every process sees the new version exactly when it sees the new content."""
    dirty = (o for o in session.dirty if session.is_modified(o))
    if not (_public(session.new) or _public(session.deleted) or _public(dirty)):
        return
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
