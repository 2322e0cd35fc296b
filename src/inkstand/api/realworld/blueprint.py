"""The RealWorld blueprint: JSON errors, CORS and token-only authentication."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from inkstand import exceptions
from inkstand.api.realworld import render
from inkstand.api.realworld.auth import Unauthorized
from inkstand.api.realworld.tokens import Tokens
from inkstand.extensions import csrf, db

log = logging.getLogger(__name__)

bp = Blueprint("realworld", __name__, url_prefix="/api")
# Token authentication only: no cookie is read, so no request can be forged.
csrf.exempt(bp)

CORS_HEADERS = {
    # Any origin: the API reads no cookie, so another site's page gains nothing
    # it could not get by calling the API itself.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Requested-With",
    "Access-Control-Max-Age": "86400",
}


def init_app(app: Flask) -> None:
    """Build the token issuer; the blueprint itself is registered by the factory."""
    app.extensions["inkstand.realworld"] = Tokens(
        app.config["SECRET_KEY"], app.config["REALWORLD_TOKEN_MAX_AGE"]
    )


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers.update(PREFLIGHT_HEADERS)
    return response


def _json(body: dict[str, object], status: int) -> ResponseReturnValue:
    return jsonify(body), status


@bp.errorhandler(Unauthorized)
def _unauthorized(error: Unauthorized) -> ResponseReturnValue:
    return jsonify(render.message(error.message)), 401, {"WWW-Authenticate": "Token"}


@bp.errorhandler(exceptions.DomainError)
def _domain_error(error: exceptions.DomainError) -> ResponseReturnValue:
    if isinstance(error, exceptions.Moved):
        args = {**(request.view_args or {}), "slug": error.new_key}
        code = 301 if request.method in {"GET", "HEAD"} else 308
        return redirect(url_for(request.endpoint or "realworld.articles", **args), code=code)
    if isinstance(error, exceptions.Invalid):
        return _json(render.errors(error.errors), 422)
    return _json(render.message(error.message), error.status)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error in the API's JSON shape; errors.py also sends here the errors
    of /api addresses that match no route (404, 405), which no blueprint sees."""
    if error.code is None or error.code < 400:
        return error
    response = error.get_response()
    response.set_data(jsonify(render.message(error.description or error.name)).get_data())
    response.content_type = "application/json"
    return response


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return _json(render.message("Something went wrong on our side. It has been logged."), 500)
