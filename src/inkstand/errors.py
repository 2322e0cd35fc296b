"""Turn errors into pages in the site's style; no traceback reaches a visitor."""

from __future__ import annotations

import logging

from flask import Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from inkstand import exceptions
from inkstand.extensions import db

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


def init_app(app: Flask) -> None:
    app.register_error_handler(exceptions.DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def error_page(status: int, message: str | None = None) -> ResponseReturnValue:
    message = message or MESSAGES.get(status, "Something went wrong.")
    return render_template("errors/error.html", status=status, message=message), status


def _domain_error(error: exceptions.DomainError) -> ResponseReturnValue:
    if isinstance(error, exceptions.Moved):
        args = {**(request.view_args or {}), "slug": error.new_key}
        return redirect(url_for(request.endpoint or "blog.index", **args), code=301)
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
        return "This site does not answer to that host name.", 400, {"Content-Type": "text/plain"}
    return error_page(error.code, MESSAGES.get(error.code, error.description))


def _unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    try:
        return error_page(InternalServerError.code)
    except Exception:  # the page itself failed (say, the database is down)
        log.exception("error page failed")
        return MESSAGES[500], 500, {"Content-Type": "text/plain; charset=utf-8"}
