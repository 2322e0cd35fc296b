"""The import as a background job (RQ with Redis, inline without), and where its uploaded
file waits meanwhile."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from inkstand import runtime
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.media import jobs as media_jobs
from inkstand.moving import services
from inkstand.pages import views as pages_views

IMPORT_TIMEOUT = 6 * 3600  # seconds: a large export takes a while


def folder() -> Path:
    """Where uploaded exports wait for their job: the instance folder's imports/."""
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(run_id: int) -> Path:
    return folder() / f"{int(run_id)}.upload"


def settings() -> services.ImportSettings:
    config = current_app.config
    return services.ImportSettings(
        body_limit=config["POST_BODY_MAX_CHARS"], max_bytes=config["IMPORT_MAX_BYTES"],
        storage=media_context.storage(), media_limits=media_context.limits(),
        make_variants=media_jobs.queue_variants, reserved=pages_views.reserved(),
    )  # fmt: skip


def queue_import(run_id: int) -> None:
    """Queue the run's import (after the run and its file are saved)."""
    # Not run again by itself (a worker killed in the middle, a failure): a second run
    # would import what the first one wrote again; the admin starts a new import.
    runtime.get().jobs.enqueue(
        f"{__name__}.{run_import.__name__}", run_id, timeout=IMPORT_TIMEOUT, retries=0
    )


def run_import(run_id: int) -> None:
    """Job: import the uploaded file of the run ``run_id``, then delete the file."""
    path = upload_path(run_id)
    try:
        services.run_import(db.session, run_id, path, settings(), utcnow)
    finally:
        path.unlink(missing_ok=True)
