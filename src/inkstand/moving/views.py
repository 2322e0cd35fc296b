"""Admin pages for moving a site: download its export, upload a WordPress or Ghost
export, and watch the import's progress; and old addresses sent on to their posts."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import FileStorage as Upload

from inkstand import runtime
from inkstand.accounts.services import require_admin
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.moving import jobs, services
from inkstand.moving.forms import ExportForm, ImportForm
from inkstand.moving.models import RunState

bp = Blueprint("moving", __name__)

CHUNK = 64 * 1024
FORM_ROOM = 64 * 1024
REFRESH_SECONDS = 2


def init_app(app: Flask) -> None:
    # Before the CSRF check reads the body: the import form may carry a large file.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_import_upload)
    app.after_request(_send_moved)


def _allow_import_upload() -> None:
    if request.method == "POST" and request.endpoint == "moving.start_import":
        request.max_content_length = max(
            current_app.config["MAX_CONTENT_LENGTH"],
            current_app.config["IMPORT_MAX_BYTES"] + FORM_ROOM,
        )


def _send_moved(response: Response) -> Response:
    """A page not found at an old address of an imported post (its WordPress
    permalink) is a 301 to the post, and one of an imported page (``/about/``) to the
    page: at most three queries, on 404s only."""
    if response.status_code != 404 or request.method not in ("GET", "HEAD"):
        return response
    query = request.query_string.decode("latin-1")
    path = f"{request.path}?{query}" if query else request.path
    now = runtime.now()
    slug = services.moved_to(db.session, path, now) or services.moved_to(
        db.session, request.path, now
    )
    if slug is None:
        page = services.page_moved_to(db.session, request.path)
        if page is None:
            return response
        return redirect(url_for("pages.show", address=page), 301)  # type: ignore[return-value]
    return redirect(url_for("blog.show", slug=slug), 301)  # type: ignore[return-value]


def _page(export: ExportForm | None = None, upload: ImportForm | None = None) -> str:
    runs = services.recent_runs(db.session, runtime.user())
    return render_template(
        "moving/index.html", export=export or ExportForm(), upload=upload or ImportForm(),
        runs=runs, kinds=services.KINDS,
    )  # fmt: skip


@bp.get("/admin/moving")
@login_required
def index() -> ResponseReturnValue:
    return _page()


def _zip(full: bool) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as spool:
        services.export_site(
            db.session, media_context.storage(), runtime.user(), spool, runtime.now(), full=full
        )
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


@bp.post("/admin/moving/export")
@login_required
def export() -> ResponseReturnValue:
    require_admin(runtime.user())
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(export=form), 400
    services.record_export(db.session, runtime.user(), full=bool(form.full.data))
    name = f"inkstand-site-{runtime.now():%Y-%m-%d}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(
        stream_with_context(_zip(bool(form.full.data))), mimetype="application/zip", headers=headers
    )


@bp.post("/admin/moving/import")
@login_required
def start_import() -> ResponseReturnValue:
    require_admin(runtime.user())
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(upload=form), 400
    sent = form.file.data if isinstance(form.file.data, Upload) else None
    limit = current_app.config["IMPORT_MAX_BYTES"]
    spool, size = _spool(sent, limit)
    try:
        run = services.start_import(
            db.session, runtime.user(), form.kind.data or "",
            sent.filename or "" if sent else "", size, limit,
        )  # fmt: skip
    except Invalid as error:
        spool.unlink(missing_ok=True)
        form.add_errors(error)
        return _page(upload=form), 422
    spool.replace(jobs.upload_path(run.id))
    jobs.queue_import(run.id)
    return redirect(url_for("moving.show_import", run_id=run.id), 303)


def _spool(sent: Upload | None, limit: int) -> tuple[Path, int]:
    """The uploaded file written into the imports folder (at most ``limit`` bytes and
    one more, so the service sees it is too big), and its size."""
    size = 0
    with tempfile.NamedTemporaryFile(dir=jobs.folder(), delete=False) as spool:
        while sent is not None and (chunk := sent.stream.read(CHUNK)):
            size += len(chunk)
            if size > limit:
                break
            spool.write(chunk)
    return Path(spool.name), size


@bp.get("/admin/moving/imports/<int:run_id>")
@login_required
def show_import(run_id: int) -> ResponseReturnValue:
    run = services.get_run(db.session, runtime.user(), run_id)
    working = run.state in (RunState.QUEUED, RunState.RUNNING)
    return render_template(
        "moving/run.html", run=run, report=services.report_of(run), kinds=services.KINDS,
        refresh=REFRESH_SECONDS if working else None,
    )  # fmt: skip
