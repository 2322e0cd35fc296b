"""The search page: /search?q=, and the form every page carries (templates/base.html)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from inkstand import runtime
from inkstand.extensions import db
from inkstand.search import services
from inkstand.site.context import site_settings

bp = Blueprint("search", __name__)
bp.add_app_template_filter(services.to_html, "highlighted")


def window() -> int:
    size: int = current_app.config["SEARCH_RANK_WINDOW"]
    return size


@bp.get("/search")
def results() -> ResponseReturnValue:
    text = request.args.get("q", "")
    site = site_settings()
    found = services.search(
        db.session, runtime.user(), text, runtime.now(), site.posts_per_page,
        cursor=request.args.get("cursor"), language=site.search_language, window=window(),
    )  # fmt: skip
    return render_template("search/results.html", q=text, results=found)
