"""What imports keep: each run with its progress and report, each imported item by its
source id (so a second run creates nothing twice), and the old addresses of posts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inkstand.db import IDS_NEVER_REUSED, Base, UTCDateTime, utcnow


class RunState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportRun(Base):
    """One import started from the admin pages or the command line."""

    __tablename__ = "import_runs"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # wordpress, ghost
    file_name: Mapped[str] = mapped_column(String(200))  # as uploaded, for people to read
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default=RunState.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)  # bytes of the file
    done: Mapped[int] = mapped_column(Integer, default=0)  # bytes read so far
    report: Mapped[str] = mapped_column(Text, default="")  # JSON, when finished
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0


class ImportedItem(Base):
    """An item of a source that an import made into a row: found again by its source id,
    it is skipped."""

    __tablename__ = "imported_items"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)  # wordpress:<site>, ghost
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # post, tag, author, ...
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer)


class MovedLink(Base):
    """A post's address on the site it came from (a WordPress permalink's path): a visit
    to it that would be a 404 is sent to the post with a 301."""

    __tablename__ = "moved_links"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
