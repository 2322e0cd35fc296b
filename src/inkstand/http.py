"""HTTP hardening: the host names the site answers to, URL parts the database cannot
take, JSON bodies read one way for every door, security headers, cookie flags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import (
    BadRequest,
    RequestEntityTooLarge,
    SecurityError,
    UnsupportedMediaType,
)
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

from inkstand import inputs
from inkstand.db import ID_MAX

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

LOOPBACK_HOSTS = ("localhost", "127.0.0.1")

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class _Segment(UnicodeConverter):
    """A name in a URL. One with a NUL matches no route: no stored name has one,
    and PostgreSQL refuses to compare text with it."""

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise ValidationError()
        return value


class _Number(IntegerConverter):
    """A number in a URL (``<int:post_id>``): ASCII digits only, by default an id, 1 to
    ID_MAX. Its pattern matches nothing else, so a URL with any other number (zero, too
    large for the database, with a leading zero, in another script's digits) matches no
    route: 404 whatever the method, rather than a 405 naming the methods of the rules
    tried on the way. The API document states the range."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = ID_MAX) -> None:
        super().__init__(map, fixed_digits, min, max)
        self.regex = f"[0-9]{{{fixed_digits}}}" if fixed_digits else inputs.numbers_up_to(max)


class MalformedJson(BadRequest):
    description = "The body is not valid JSON."


class JsonProvider(DefaultJSONProvider):
    """The app's JSON: every request's body, for the APIs and the site's forms alike,
    is read by inputs.loads (bounded nesting, valid Unicode, or a clear 4xx)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return inputs.loads(s)


class Request(FlaskRequest):
    """A request whose JSON errors say what was wrong: 415 for a body of another type,
    400 (MalformedJson) for one that is not JSON."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            raise UnsupportedMediaType(JSON_EXPECTED)
        raise MalformedJson() from e


JSON_EXPECTED = "Send the body as JSON, with Content-Type: application/json."


def json_body() -> Any:
    """The request's JSON body; None when it has no body. Raises UnsupportedMediaType
    for a body of another type, MalformedJson, or Invalid (see inputs.loads)."""
    if not request.get_data(cache=True):
        return None
    return request.get_json()


def trusted_hosts(config: Mapping[str, Any]) -> list[str]:
    """The host names the site answers to: TRUSTED_HOSTS, SITE_URL's and SERVER_NAME's;
    only the loopback names when none is given. A loopback name brings the others, so a
    site on 127.0.0.1 also answers at localhost."""
    hosts = list(config.get("TRUSTED_HOSTS") or ())
    if config.get("SITE_URL"):
        hosts.append(urlsplit(config["SITE_URL"]).hostname or "")
    if config.get("SERVER_NAME"):
        hosts.append(urlsplit(f"//{config['SERVER_NAME']}").hostname or "")
    hosts = [host for host in dict.fromkeys(hosts) if host]
    if not hosts or set(hosts) & set(LOOPBACK_HOSTS):
        hosts += [host for host in LOOPBACK_HOSTS if host not in hosts]
    return hosts


def init_app(app: Flask) -> None:
    # Every request naming another host is refused (400) before anything runs, so
    # no link, mail or cached page is ever built on a forged Host or X-Forwarded-Host.
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_untrusted_host)
    # Before the blueprints add their rules, which pick their converters when added.
    app.url_map.converters.update(default=_Segment, string=_Segment, int=_Number)
    app.request_class = Request
    app.json = JsonProvider(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["SESSION_COOKIE_SECURE"],
        # The server refuses a session older than this (accounts/sessions.py).
        REMEMBER_COOKIE_DURATION=timedelta(seconds=app.config["SESSION_MAX_AGE"]),
    )
    # Inside ProxyFix, so that it sees the scheme the client used.
    app.wsgi_app = _SecureCookies(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = _CloseAfterUnreadBody(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )
    app.before_request(_refuse_too_large_body)
    app.after_request(_harden)
    app.after_request(_note_unread_body)


def _refuse_untrusted_host() -> None:
    """Raise the refusal Flask recorded while routing: it would otherwise wait until
    after the other before-request hooks."""
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


UNREAD_BODY = "inkstand.unread_body"


def _refuse_too_large_body() -> None:
    """A body declared larger than this request may carry (MAX_CONTENT_LENGTH, or an
    upload's own limit) is refused with a 413 before anything else looks at the
    request, whatever the route would have answered (a 401 for a missing token)."""
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _note_unread_body(response: Response) -> Response:
    """Note a request body left unread (refused as too large, or answered before it
    was needed): the connection cannot carry another request (see _CloseAfterUnreadBody)."""
    declared = (
        request.content_length or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )
    if declared:
        # Werkzeug makes the stream on first read. A body of unknown length (chunked)
        # is read up to the limit at most, so more of it may wait unread.
        stream = request.__dict__.get("stream")
        read_all = getattr(stream, "is_exhausted", False) and request.content_length
        if not read_all:
            request.environ[UNREAD_BODY] = True
    return response


def _harden(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


class _SecureCookies:
    """Mark every cookie Secure when the request itself came over HTTPS.

    WSGI middleware rather than an after_request hook: Flask writes the session
    cookie, and Flask-Login the remember cookie, after such a hook has run.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("wsgi.url_scheme") not in {"https", "wss"}:
            return self.app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [
                (name, _secure(value) if name.lower() == "set-cookie" else value)
                for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def _secure(cookie: str) -> str:
    return cookie if "; secure" in cookie.lower() else f"{cookie}; Secure"


class _CloseAfterUnreadBody:
    """End the connection, and say so, after a request whose body was left unread.

    The rest of such a body would be read as the next request, so a server must drain
    or drop it, and gunicorn drains only the first 64 KB before it closes the connection
    of an answer that promised ``Connection: keep-alive``: the client's next request
    fails. An application may not send ``Connection`` itself (a hop-by-hop header), so
    this asks gunicorn, through its ``start_response``, to close: its answer then says
    ``Connection: close``. A server without that hook drains or closes in its own way.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if environ.get(UNREAD_BODY):
                close = getattr(getattr(start_response, "__self__", None), "force_close", None)
                if callable(close):
                    close()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
