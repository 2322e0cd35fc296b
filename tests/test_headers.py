"""Every response carries the security headers, and cookies carry their flags."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inkstand.accounts.services import BIO_MAX
from inkstand.extensions import db
from tests.helpers import PASSWORD, Factory, build_app, login, submit

HTTPS = "https://inkstand.test"


def policy(response: TestResponse) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive -> sources."""
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name.lower()] = sources
    return directives


def assert_hardened(response: TestResponse) -> None:
    csp = policy(response)
    everything = [s.lower() for sources in csp.values() for s in sources]
    assert "'unsafe-inline'" not in everything
    assert "'unsafe-eval'" not in everything
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert csp[directive] == ["'self'"], directive
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {"strict-origin-when-cross-origin", "no-referrer"}
    assert response.headers["X-Frame-Options"] == "DENY"


def set_cookies(response: TestResponse) -> dict[str, dict[str, str | bool]]:
    """Each cookie the response sets, with its attributes (lower-cased names)."""
    cookies: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0].strip()
        parsed = SimpleCookie()
        parsed.load(header)
        morsel = parsed[name]
        flags = {part.strip().lower() for part in header.split(";")[1:]}
        cookies[name] = {
            "httponly": "httponly" in flags,
            "secure": "secure" in flags,
            "samesite": str(morsel["samesite"]).lower(),
        }
    return cookies


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/login", 200),
        ("/register", 200),
        ("/posts/no-such-post", 404),
        ("/tags/news", 200),
        ("/?before=garbage", 400),
        ("/manage", 302),
        ("/static/css/site.css", 200),
        ("/static/css/no-such.css", 404),
    ],
)
def test_every_response_carries_the_security_headers(
    client: FlaskClient, factory: Factory, url: str, status: int
) -> None:
    factory.post(factory.user("author"), "Tagged", tags="news")
    with client.get(url) as response:  # closed: a static file is streamed from disk
        assert response.status_code == status
        assert_hardened(response)


def test_error_and_refusal_responses_are_hardened_too(
    client: FlaskClient, factory: Factory
) -> None:
    login(client, factory.user("reader"))
    responses = {
        "csrf": client.post("/logout"),
        "forbidden": client.get("/write"),
        "method": client.delete("/"),
        "too large": client.post("/settings", data={"bio": "x" * (1024 * 1024 + 1)}),
        "form errors": submit(client, "/settings", {"bio": "x" * (BIO_MAX + 1)}, page="/settings"),
    }
    assert [r.status_code for r in responses.values()] == [400, 403, 405, 413, 422]
    for response in responses.values():
        assert_hardened(response)


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    cookies = set_cookies(client.get("/login"))  # the CSRF token starts a session
    assert "session" in cookies
    assert cookies["session"]["httponly"] is True
    assert cookies["session"]["samesite"] == "lax"
    assert cookies["session"]["secure"] is False  # plain HTTP: a Secure cookie would be lost


def test_logging_in_sets_httponly_lax_cookies(client: FlaskClient, factory: Factory) -> None:
    user = factory.user("author", "writer")
    response = submit(
        client, "/login", {"login": user.username, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    for name in ("session", "remember_token"):
        assert cookies[name]["httponly"] is True, name
        assert cookies[name]["samesite"] == "lax", name


def test_over_https_every_cookie_is_secure(client: FlaskClient, factory: Factory) -> None:
    user = factory.user("author", "writer")
    page = client.get("/login", base_url=HTTPS)
    assert_hardened(page)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert set_cookies(page)["session"]["secure"] is True

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the log-in page"
    response = client.post(
        "/login",
        base_url=HTTPS,
        data={
            "csrf_token": token[1],
            "login": user.username,
            "password": PASSWORD,
            "remember": "y",
        },
        headers={"Referer": f"{HTTPS}/login"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    for name, flags in cookies.items():
        assert flags["secure"] is True, name
        assert flags["httponly"] is True, name
        assert flags["samesite"] == "lax", name


def test_no_strict_transport_security_over_plain_http(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_behind_a_proxy_the_forwarded_scheme_makes_cookies_secure(
    app: Flask, tmp_path: Path
) -> None:
    proxied = build_app(tmp_path, app.config["DATABASE_URL"], PROXY_COUNT=1)
    try:
        client = proxied.test_client()
        plain = client.get("/login", headers={"X-Forwarded-Proto": "http"})
        assert set_cookies(plain)["session"]["secure"] is False
        client = proxied.test_client()
        forwarded = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert set_cookies(forwarded)["session"]["secure"] is True
        assert "Strict-Transport-Security" in forwarded.headers
    finally:
        with proxied.app_context():
            db.engine.dispose()
