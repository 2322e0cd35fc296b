"""Interactive documentation of the native API: Swagger UI, served from this site.

Swagger UI's files come from the flask-swagger-ui package (pinned in requirements),
not from a CDN, and the page starts it from a static script rather than an inline
one: so the site's Content-Security-Policy ('self' only) holds on this page too.
"""

from __future__ import annotations

from importlib import metadata, resources

from flask import Blueprint, Response, abort, render_template, send_from_directory

from inkstand.api.v1 import problems

bp = Blueprint("api_v1_docs", __name__, url_prefix=problems.PREFIX)

ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js"})
SWAGGER_UI = str(resources.files("flask_swagger_ui") / "dist")
VERSION = metadata.version("flask-swagger-ui")
ASSET_MAX_AGE = 365 * 24 * 3600  # the URL carries the version


@bp.get("/docs")
def docs() -> str:
    return render_template("api/docs.html", version=VERSION)


@bp.get("/docs/assets/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(SWAGGER_UI, name, max_age=ASSET_MAX_AGE)


@bp.get("/problems/<kind>")
def problem(kind: str) -> Response:
    """What a problem ``type`` means, so each type URI resolves to its description."""
    described = dict(problems.BY_STATUS.values())
    described.update(problems.KINDS)
    if kind not in described:
        abort(404)
    return Response(
        f"{kind}: {described[kind]}. See the API guide, docs/api.md.\n", mimetype="text/plain"
    )
