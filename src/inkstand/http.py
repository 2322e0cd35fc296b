"""HTTP hardening: URL parts the database cannot take, security headers, cookie flags."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

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


class _Id(IntegerConverter):
    """An id in a URL. One too large for the database's column matches no route."""

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if number > ID_MAX:
            raise ValidationError()
        return number


def init_app(app: Flask) -> None:
    if app.config["SITE_URL"] and not app.config.get("TRUSTED_HOSTS"):
        # Requests naming another host are refused, so no link is built on a forged one.
        app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["SITE_URL"]).hostname]
    # Before the blueprints add their rules, which pick their converters when added.
    app.url_map.converters.update(default=_Segment, string=_Segment, int=_Id)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=app.config["SESSION_COOKIE_SECURE"],
    )
    # Inside ProxyFix, so that it sees the scheme the client used.
    app.wsgi_app = _SecureCookies(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )
    app.after_request(_harden)


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
