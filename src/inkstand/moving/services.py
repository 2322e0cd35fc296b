"""Moving a site in and out, for admins: the site export, and WordPress and Ghost imports
as runs with their progress and report."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from inkstand import audit, text
from inkstand.accounts.models import User
from inkstand.accounts.services import require_admin
from inkstand.audit import Action, Target
from inkstand.blog.models import Post
from inkstand.blog.services import posts
from inkstand.db import DbSession
from inkstand.exceptions import Invalid, NotFound
from inkstand.media.storage import Storage
from inkstand.moving import archive, ghost, wordpress
from inkstand.moving.importing import Importer, Report, Uploads
from inkstand.moving.models import ImportRun, MovedLink, RunState
from inkstand.pages.models import Page, PageStatus

log = logging.getLogger(__name__)

KINDS = {"wordpress": "WordPress (WXR file)", "ghost": "Ghost (JSON file)"}
RECENT_RUNS = 20


def export_site(
    session: DbSession, storage: Storage, actor: User | None, out: IO[bytes], now: datetime,
    *, full: bool = False,
) -> dict[str, int]:  # fmt: skip
    """The whole site as a zip into ``out`` (``full``: with password hashes and two-factor
    secrets). Raises Forbidden unless ``actor`` is an admin."""
    require_admin(actor)
    return archive.export(session, storage, out, now, full=full)


def record_export(session: DbSession, actor: User | None, *, full: bool) -> None:
    """Write in the audit log that ``actor`` takes the site away, as it is asked for
    (before the zip is written and sent). Raises Forbidden unless she is an admin."""
    require_admin(actor)
    audit.record(session, actor, Action.SITE_EXPORTED, Target.site(), {"full": full})
    session.commit()


@dataclass(frozen=True)
class ImportSettings:
    """What a run needs of the app's configuration."""

    body_limit: int
    max_bytes: int
    storage: Storage
    media_limits: Any  # media.services.Limits
    make_variants: Callable[[int], None]
    reserved: frozenset[str] = frozenset()  # the site's own addresses, which no page takes


def start_import(
    session: DbSession, actor: User | None, kind: str, file_name: str, size: int, max_bytes: int
) -> ImportRun:
    """A new run, queued, for an uploaded file. Raises Forbidden or Invalid."""
    require_admin(actor)
    assert actor is not None
    if kind not in KINDS:
        raise Invalid.field("kind", "Choose WordPress or Ghost.")
    if size <= 0:
        raise Invalid.field("file", "Choose the export file to import.")
    if size > max_bytes:
        raise Invalid.field("file", f"The file is larger than {max_bytes:,} bytes: import it "
                                    "with `inkstand import` on the server.")  # fmt: skip
    run = ImportRun(kind=kind, file_name=file_name[:200] or "export", actor_id=actor.id, total=size)
    session.add(run)
    session.flush()
    # Recorded as it is asked for, from where it is asked; its report is on the run's page.
    details = {"run": run.id, "source": kind, "file": run.file_name, "bytes": size}
    audit.record(session, actor, Action.SITE_IMPORTED, Target.site(), details)
    session.commit()
    return run


def get_run(session: DbSession, actor: User | None, run_id: int) -> ImportRun:
    require_admin(actor)
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound("No such import.")
    return run


def recent_runs(session: DbSession, actor: User | None) -> list[ImportRun]:
    require_admin(actor)
    return list(session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(RECENT_RUNS)))


def report_of(run: ImportRun) -> dict[str, Any]:
    return json.loads(run.report) if run.report else {}


def run_import(
    session: DbSession, run_id: int, path: Path, settings: ImportSettings,
    now: Callable[[], datetime], uploads: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportRun:  # fmt: skip
    """Import the file at ``path`` for the run ``run_id``, item by item, keeping its
    progress and, at the end, its report; with ``uploads`` (the old site's folder of
    images: WordPress's wp-content/uploads, Ghost's content/images) its images too. A file
    refused whole (not an export, an XXE) fails the run with the reason; items written
    before a break in the file stay."""
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound("No such import.")
    actor = session.get(User, run.actor_id) if run.actor_id else None
    run.state, run.done = RunState.RUNNING, 0
    session.commit()
    report = Report()

    def advance(n: int) -> None:
        run.done += n
        if progress is not None:
            progress(n)

    def importer_for(source: str) -> Importer:
        nonlocal report
        kept = _uploads(run.kind, uploads, settings) if uploads is not None else None
        assert actor is not None
        importer = Importer(
            session, source, actor, now(), settings.body_limit, kept, settings.reserved
        )
        report = importer.report
        return importer

    try:
        require_admin(actor)
        with path.open("rb") as source:
            if run.kind == "wordpress":
                wordpress.read(source, importer_for, advance)
            else:
                ghost.read(source, importer_for, settings.max_bytes, advance)
        run.state = RunState.DONE
    except Invalid as error:  # the file broke between items: each one written is whole
        session.commit()
        report.error = error.message
        run.state = RunState.FAILED
    except Exception:
        session.rollback()
        log.exception("import %s failed", run_id)
        report.error = "The import stopped on an unexpected error (it is in the log)."
        run.state = RunState.FAILED
    run.done = run.total
    run.report = json.dumps(report.as_dict(), ensure_ascii=False)
    run.finished_at = now()
    archive.analyze(session.connection())
    session.commit()
    return run


def _uploads(kind: str, folder: Path, settings: ImportSettings) -> Uploads:
    """The old site's files: WordPress's wp-content/uploads, Ghost's content/images."""
    keep = (folder, settings.storage, settings.media_limits, settings.make_variants)
    if kind == "ghost":
        return Uploads(*keep, marker=ghost.MARKER, name=ghost.FOLDER_NAME, sized=ghost.SIZED)
    return Uploads(*keep)


def restore_site(
    session: DbSession, storage: Storage, source: IO[bytes], max_unpacked: int,
    progress: Callable[[int], None] | None = None,
) -> archive.Restored:  # fmt: skip
    """Restore a site export into this empty site (the command line: the operator's own
    act, before any account exists). Raises Invalid with the reason."""
    return archive.restore(session, storage, source, max_unpacked, progress)


def moved_to(session: DbSession, path: str, now: datetime) -> str | None:
    """The slug of the listed post an old address (a WordPress permalink) now lives at;
    none for a post visitors may not see, so an old address confirms nothing. No stored
    address is that long or holds a control character (PostgreSQL refuses a NUL)."""
    if len(path) > 500 or text.CONTROL.search(path):
        return None
    return session.scalar(
        select(Post.slug)
        .join(MovedLink, MovedLink.post_id == Post.id)
        .where(MovedLink.path == path, Post.is_listed(now))
    )


def page_moved_to(session: DbSession, path: str) -> str | None:
    """The address of the published page an old address with a closing slash names
    (WordPress's ``/about/`` for the page now at ``/about``): one query, if it is one."""
    parts = path.strip("/").split("/")
    if not path.endswith("/") or len(parts) != 1 or not posts.SLUG.match(parts[0]):
        return None
    return session.scalar(
        select(Page.slug).where(Page.slug == parts[0], Page.status == PageStatus.PUBLISHED.value)
    )
