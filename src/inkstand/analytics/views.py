"""The statistics dashboard and its CSV export."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import limits, runtime
from inkstand.accounts.models import User
from inkstand.analytics import chart, export, live, permissions, reading
from inkstand.analytics.forms import RangeForm
from inkstand.blog.models import Post
from inkstand.comments import live as comments_live
from inkstand.exceptions import Invalid
from inkstand.extensions import cache, db

bp = Blueprint("analytics", __name__)
bp.add_app_template_global(permissions.can_see_stats, "can_see_stats")

TABLES = ("days", "posts", "referrers", "campaigns")
PANEL_DAYS = 30
BUSY = {"Retry-After": "30", "Cache-Control": "no-store"}
RANGE_ARGUMENTS = ("days", "first", "last")


def _figures(form: RangeForm) -> reading.Figures | None:
    """The figures the form asks for, or None with the form's errors set."""
    if not form.validate():
        return None
    now = runtime.now()
    try:
        span = reading.day_range(now.date(), **form.range_arguments())
    except Invalid as error:
        form.add_errors(error)
        return None
    return figures(runtime.user(), span, now)


def figures(
    viewer: User | None, span: reading.DayRange, now: datetime, post_id: int | None = None
) -> reading.Figures:
    """``viewer``'s figures over ``span`` (see reading.figures), computed at most once
    every ANALYTICS_CACHE_SECONDS for each scope and range; the visitors of the last
    five minutes afresh each time. Raises Forbidden or NotFound."""
    scope = reading.scope_for(db.session, viewer, now, post_id)
    seconds = current_app.config["ANALYTICS_CACHE_SECONDS"]
    key = f"analytics:{scope.kind}:{scope.id}:{span.first}:{span.last}"
    found = cache.get(key) if seconds > 0 else None
    if isinstance(found, reading.Figures):
        return replace(found, live=reading.live_visitors(db.session, scope, now))
    computed = reading.figures_of(db.session, scope, span, now)
    if seconds > 0:
        cache.set(key, computed, timeout=seconds)
    return computed


@bp.app_template_global("post_stats")
def post_stats(post: Post) -> dict[str, Any] | None:
    """A post's panel on its edit page (the last 30 days' views and visitors, its top
    referrers), for those who may see them; None for anyone else."""
    now = runtime.now()
    span = reading.day_range(now.date(), PANEL_DAYS, None, None)
    figures = reading.post_panel(db.session, runtime.user(), post.id, span, now)
    return None if figures is None else {"figures": figures, "chart": chart.daily(figures.days)}


@bp.get("/stats")
@login_required
def dashboard() -> ResponseReturnValue:
    form = RangeForm(request.args)
    figures = _figures(form)
    if figures is None:
        return render_template("analytics/dashboard.html", form=form, figures=None), 422
    return render_template(
        "analytics/dashboard.html", form=form, figures=figures, chart=chart.daily(figures.days),
        query=urlencode({k: v for k, v in request.args.items() if k in RANGE_ARGUMENTS}),
    )  # fmt: skip


@bp.get("/stats/live")
@login_required
@limits.LIVE()
def live_stream() -> ResponseReturnValue:
    """Server-Sent Events: the dashboard's visitors of the last five minutes, as they come."""
    if comments_live.too_many_readers():
        return {"message": "Too many live readers; try again soon."}, 503, BUSY
    scope = reading.scope_for(db.session, runtime.user(), runtime.now())
    db.session.remove()
    response = Response(stream_with_context(live.stream(scope)), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@bp.get("/stats.csv")
@login_required
def csv() -> ResponseReturnValue:
    form = RangeForm(request.args)
    figures = _figures(form)
    table = request.args.get("table", "days")
    if figures is None or table not in TABLES:
        return render_template("analytics/dashboard.html", form=form, figures=None), 422
    if table == "days":
        header = ["day", "views", "visitors"]
        rows: list[list[object]] = [[d.day.isoformat(), d.views, d.visitors] for d in figures.days]
    else:
        header = [table[:-1], "views", "visitors"]
        rows = [[r.label, r.views, r.visitors] for r in getattr(figures, table)]
    name = f"inkstand-{table}-{figures.span.first}-{figures.span.last}.csv"
    return Response(
        export.csv_text(header, rows), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
