"""How an error is shown, decided in one place for each door: the site's pages, the
native API's problem details (RFC 9457) and the RealWorld API's ``{"errors": ...}``.

Services raise domain errors (``exceptions.py``); Flask and its extensions raise HTTP
errors (404, 405, 413, 429...). Either becomes the answer of the door the request
came through, chosen by its path, so a route that matched nothing (a 404 under
/api) answers in its door's shape too. No traceback ever reaches a caller.
"""

from __future__ import annotations

import logging
from typing import Protocol

import sqlalchemy.exc
from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    SecurityError,
    ServiceUnavailable,
)

from inkstand import backends, exceptions
from inkstand.api.realworld import auth as realworld_auth
from inkstand.api.realworld import blueprint as realworld_blueprint
from inkstand.api.realworld import render as realworld
from inkstand.api.v1 import auth as v1_auth
from inkstand.api.v1 import problems
from inkstand.extensions import db
from inkstand.http import MalformedJson
from inkstand.pagination import BadCursor

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Who is calling is not known: send valid credentials.",
    403: "You do not have permission to do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    413: "That upload or form is too large.",
    422: "Some of what you sent is not valid.",
    429: "Too many attempts. Wait a little and try again.",
    500: "Something went wrong on our side. It has been logged.",
    503: "The site is briefly unavailable. Try again in a moment.",
}
# A service the request needs could not be reached or dropped the connection (the
# database restarting, Redis stopped), or every pooled connection stayed busy for the
# pool's whole timeout (a process with more requests at once than connections, under
# more load than it can serve): not a bug, a moment's unavailability. The shared
# store's own errors are added by init_app (inkstand.backends).
UNREACHABLE: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
)
UNREACHABLE_EXTENSION = "inkstand.unreachable"
RETRY_AFTER_SECONDS = 5
UNTRUSTED_HOST = "This site does not answer to that host name."
PLAIN_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


class Door(Protocol):
    """How one door shows each kind of error."""

    def domain(self, error: exceptions.DomainError) -> ResponseReturnValue: ...

    def http(self, error: HTTPException) -> ResponseReturnValue: ...

    def unexpected(self) -> ResponseReturnValue: ...


def init_app(app: Flask) -> None:
    app.register_error_handler(exceptions.DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    unreachable = app.extensions[UNREACHABLE_EXTENSION] = (
        UNREACHABLE + backends.get(app).unreachable()
    )
    for kind in unreachable:
        app.register_error_handler(kind, _unreachable)
    app.register_error_handler(Exception, _unexpected)


def door(path: str) -> Door:
    """The door a request path comes through."""
    if problems.applies(path):
        return NATIVE_API
    if path == realworld_blueprint.PREFIX or path.startswith(realworld_blueprint.PREFIX + "/"):
        return REALWORLD_API
    return SITE


def error_page(status: int, message: str | None = None) -> ResponseReturnValue:
    message = message or MESSAGES.get(status, "Something went wrong.")
    return render_template("errors/error.html", status=status, message=message), status


def _domain_error(error: exceptions.DomainError) -> ResponseReturnValue:
    if isinstance(error, exceptions.Moved):
        return _moved(error)
    return door(request.path).domain(error)


def _moved(error: exceptions.Moved) -> ResponseReturnValue:
    """To the same view under the new key: 301 for reads, 308 (method kept) otherwise."""
    args = {**(request.view_args or {}), error.key: error.new_key}
    code = 301 if request.method in {"GET", "HEAD"} else 308
    return redirect(url_for(request.endpoint or "blog.index", **args), code=code)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    """Only the site's forms carry CSRF tokens (the APIs read no cookie)."""
    return error_page(
        400,
        "This form has expired or was not sent from this site. "
        "Go back, reload the page and try again.",
    )


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code < 400:
        return error
    original = getattr(error, "original_exception", None)
    # raised where Flask wraps it: an after-request hook
    if isinstance(original, current_app.extensions[UNREACHABLE_EXTENSION]):
        return _unreachable(original)
    if isinstance(error, SecurityError):  # an untrusted Host: no URL can be built for it
        error.description = UNTRUSTED_HOST
    return door(request.path).http(error)


def _unreachable(error: Exception) -> ResponseReturnValue:
    """A 503 with Retry-After in the door's shape; the pool's pre-ping and redis-py
    reconnect by themselves once the service is back."""
    log.warning("%s %s: a service is unreachable: %s", request.method, request.path, error)
    try:
        db.session.rollback()
    except sqlalchemy.exc.SQLAlchemyError:  # the connection is gone; the pool replaces it
        log.debug("rollback after a lost connection failed", exc_info=True)
    through = door(request.path)
    if isinstance(error, sqlalchemy.exc.TimeoutError) and through is SITE:
        # No pooled connection was free, and the site's page needs one of its own: it
        # would wait out the pool's timeout a second time before the plain answer.
        return _plainly_unavailable()
    try:
        response = make_response(through.http(ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS)))
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
        return response
    except Exception:  # the page itself needs the database (the viewer's account)
        log.debug("the 503 page could not be rendered", exc_info=True)
        return _plainly_unavailable()


def _plainly_unavailable() -> ResponseReturnValue:
    return MESSAGES[503], 503, {**PLAIN_TEXT, "Retry-After": str(RETRY_AFTER_SECONDS)}


def _unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return door(request.path).unexpected()


class _Site:
    """Pages in the site's style."""

    def domain(self, error: exceptions.DomainError) -> ResponseReturnValue:
        return error_page(error.status, error.message)

    def http(self, error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, SecurityError):  # the page's links could not be built either
            return UNTRUSTED_HOST, 400, PLAIN_TEXT
        code = error.code or 500
        return error_page(code, MESSAGES.get(code, error.description))

    def unexpected(self) -> ResponseReturnValue:
        try:
            return error_page(InternalServerError.code)
        except Exception:  # the page itself failed (say, the database is down)
            log.exception("error page failed")
            return MESSAGES[500], 500, PLAIN_TEXT


class _NativeApi:
    """Problem details; a 401 challenges for a bearer token."""

    def domain(self, error: exceptions.DomainError) -> ResponseReturnValue:
        kind = getattr(error, "problem", None)
        errors = error.errors if isinstance(error, exceptions.Invalid) else None
        if isinstance(error, BadCursor):
            kind, errors = "invalid-cursor", {"cursor": [error.message]}
        status = error.status
        if isinstance(error, exceptions.Conflict) and request.if_match:
            status = 412  # the version was named by If-Match: its precondition failed
        headers = {}
        if isinstance(error, exceptions.Unauthenticated):
            headers["WWW-Authenticate"] = v1_auth.challenge(error.reason)
        return problems.response(status, error.message, kind=kind, errors=errors,
                                 headers=headers)  # fmt: skip

    def http(self, error: HTTPException) -> ResponseReturnValue:
        """An HTTP error as a problem; webargs' validation messages name each field."""
        code = error.code or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or {}
        errors: dict[str, list[str]] = {}
        for located in messages.values():  # {"json": {...}, "query": {...}}: by location
            errors.update(problems.field_errors(located))
        kind, detail = None, MESSAGES.get(code, error.description or "")
        if isinstance(error, MalformedJson):
            kind, detail = "malformed-json", error.description
        elif code == 422:
            detail = "; ".join(f"{name}: {' '.join(found)}" for name, found in errors.items())
        elif error.description and (
            code in {401, 403, 413, 415, 429} or isinstance(error, SecurityError)
        ):
            detail = error.description
        return problems.response(
            code, detail or MESSAGES[400], kind=kind, errors=errors, headers=headers
        )

    def unexpected(self) -> ResponseReturnValue:
        return problems.response(InternalServerError.code, MESSAGES[500])


class _RealWorldApi:
    """The RealWorld specification's ``{"errors": {"body": [...]}}``; a 401 challenges
    for its ``Token`` scheme."""

    def domain(self, error: exceptions.DomainError) -> ResponseReturnValue:
        if isinstance(error, exceptions.Invalid):
            return jsonify(realworld.errors(error.errors)), 422
        headers = {}
        if isinstance(error, exceptions.Unauthenticated):
            headers["WWW-Authenticate"] = realworld_auth.CHALLENGE
        return jsonify(realworld.message(error.message)), error.status, headers

    def http(self, error: HTTPException) -> ResponseReturnValue:
        if isinstance(error, MalformedJson):  # the specification answers bad input 422
            return jsonify(realworld.errors({"body": [error.description or ""]})), 422
        response: Response = make_response(error.get_response())  # its headers: Allow, Retry-After
        response.set_data(jsonify(realworld.message(error.description or error.name)).get_data())
        response.content_type = "application/json"
        return response

    def unexpected(self) -> ResponseReturnValue:
        return jsonify(realworld.message(MESSAGES[500])), 500


SITE: Door = _Site()
NATIVE_API: Door = _NativeApi()
REALWORLD_API: Door = _RealWorldApi()
