"""Turn errors into pages in the site's style; no traceback reaches a visitor."""

from __future__ import annotations

import logging

from flask import Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from inkstand import exceptions
from inkstand.api.realworld import blueprint as realworld
from inkstand.api.v1 import problems
from inkstand.extensions import db
from inkstand.pagination import BadCursor

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    413: "That upload or form is too large.",
    422: "Some of what you sent is not valid.",
    429: "Too many attempts. Wait a little and try again.",
    500: "Something went wrong on our side. It has been logged.",
}
UNTRUSTED_HOST = "This site does not answer to that host name."


def init_app(app: Flask) -> None:
    app.register_error_handler(exceptions.DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def error_page(status: int, message: str | None = None) -> ResponseReturnValue:
    message = message or MESSAGES.get(status, "Something went wrong.")
    return render_template("errors/error.html", status=status, message=message), status


def _api() -> bool:
    """Whether this request is the native API's, whose errors are problem+json."""
    return problems.applies(request.path)


def _domain_error(error: exceptions.DomainError) -> ResponseReturnValue:
    if isinstance(error, exceptions.Moved):
        args = {**(request.view_args or {}), "slug": error.new_key}
        return redirect(url_for(request.endpoint or "blog.index", **args), code=301)
    if _api():
        kind = "invalid-cursor" if isinstance(error, BadCursor) else getattr(error, "problem", None)
        errors = error.errors if isinstance(error, exceptions.Invalid) else None
        if isinstance(error, BadCursor):
            errors = {"cursor": [error.message]}
        return problems.response(error.status, error.message, kind=kind, errors=errors)
    return error_page(error.status, error.message)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return error_page(
        400,
        "This form has expired or was not sent from this site. "
        "Go back, reload the page and try again.",
    )


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code < 400:
        return error
    if isinstance(error, SecurityError):  # an untrusted Host: no URL can be built for it
        error.description = UNTRUSTED_HOST
    if _api():
        return _http_problem(error)
    if request.path.startswith(realworld.bp.url_prefix or "/api"):
        return realworld.http_error(error)
    if isinstance(error, SecurityError):  # the page's links could not be built either
        return UNTRUSTED_HOST, 400, {"Content-Type": "text/plain; charset=utf-8"}
    return error_page(error.code, MESSAGES.get(error.code, error.description))


def _http_problem(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error as a problem; webargs' validation messages name each field."""
    code = error.code or 500
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or {}
    errors: dict[str, list[str]] = {}
    for located in messages.values():  # {"json": {...}, "query": {...}}: by location
        errors.update(problems.field_errors(located))
    kind, detail = None, MESSAGES.get(code, error.description or "")
    if code == 400 and messages.get("json") and not isinstance(messages["json"], dict):
        kind, detail, errors = "malformed-json", "The body is not valid JSON.", {}
    elif code == 422:
        detail = "; ".join(f"{name}: {' '.join(found)}" for name, found in errors.items())
    elif error.description and (
        code in {401, 403, 413, 415, 429} or isinstance(error, SecurityError)
    ):
        detail = error.description
    return problems.response(
        code, detail or MESSAGES[400], kind=kind, errors=errors, headers=headers
    )


def _unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    if _api():
        return problems.response(InternalServerError.code, MESSAGES[500])
    try:
        return error_page(InternalServerError.code)
    except Exception:  # the page itself failed (say, the database is down)
        log.exception("error page failed")
        return MESSAGES[500], 500, {"Content-Type": "text/plain; charset=utf-8"}
