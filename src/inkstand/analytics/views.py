"""The statistics dashboard and its CSV export."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import runtime
from inkstand.analytics import chart, export, permissions, reading
from inkstand.analytics.forms import RangeForm
from inkstand.blog.models import Post
from inkstand.exceptions import Invalid
from inkstand.extensions import db

bp = Blueprint("analytics", __name__)
bp.add_app_template_global(permissions.can_see_stats, "can_see_stats")

TABLES = ("days", "posts", "referrers", "campaigns")
PANEL_DAYS = 30
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
    return reading.figures(db.session, runtime.user(), span, now)


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
