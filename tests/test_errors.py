"""Errors reach visitors as pages in the site's style, never as tracebacks, and reach
each API's callers in that API's shape: problem details under /api/v1, the RealWorld
``{"errors": ...}`` under /api.

The walks below take every route of the app's URL map, so a route added tomorrow is
checked the day it exists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import redis
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import OperationalError
from werkzeug.routing import AnyConverter, IntegerConverter, Rule
from werkzeug.test import TestResponse

from inkstand import events
from inkstand.accounts import tokens
from inkstand.api.v1 import problems
from inkstand.blog import reading
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site_services
from tests.helpers import any_url, build_app, free_port, login

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def test_an_unexpected_error_is_a_styled_500_and_is_logged(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reading, "home", broken)
    with caplog.at_level(logging.ERROR, logger="inkstand"):
        response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Server error" in body
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "secret internals" in caplog.text


def test_a_500_when_even_the_error_page_fails_is_plain_text(client, monkeypatch):
    def settings_broken(*args, **kwargs):
        raise RuntimeError("settings table on fire")

    monkeypatch.setattr(site_services, "load", settings_broken)
    response = client.get("/")
    assert response.status_code == 500
    assert response.content_type.startswith("text/plain")
    assert "on fire" not in response.get_data(as_text=True)


def _connection_lost(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def test_a_lost_database_is_a_503_page_to_try_again_not_a_500(client, monkeypatch, caplog):
    """The database restarting under a request (or down for a moment) is unavailability,
    not a bug: 503 with Retry-After, even when the page itself cannot be drawn."""
    monkeypatch.setattr(reading, "home", _connection_lost)
    with caplog.at_level(logging.WARNING, logger="inkstand"):
        styled = client.get("/")
    assert styled.status_code == 503
    assert styled.headers["Retry-After"] == "5"
    assert 'class="site-header"' in styled.text
    assert "Briefly unavailable" in styled.text
    assert "closed the connection" not in styled.text
    assert "a service is unreachable" in caplog.text

    monkeypatch.setattr(site_services, "load", _connection_lost)
    bare = client.get("/")
    assert bare.status_code == 503
    assert bare.content_type.startswith("text/plain")
    assert bare.headers["Retry-After"] == "5"


def test_a_lost_database_is_a_503_in_each_api_s_shape(client, monkeypatch):
    monkeypatch.setattr(reading, "listing", _connection_lost)
    monkeypatch.setattr(reading, "narrow", _connection_lost)  # RealWorld's first read
    for url in ("/api/v1/posts", "/api/articles"):
        response = client.get(url)
        assert shaped_for_its_door(response, url, 503) is None, url
        assert int(response.headers["Retry-After"]) > 0  # the API's own limit window, or 5


def test_an_unreachable_redis_is_a_503_not_a_500(tmp_path, monkeypatch):
    """Where Redis is the shared store; a site without it never meets its errors."""
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'inkstand.sqlite3'}", REDIS_URL=down)
    with app.app_context():
        upgrade()

    def refused(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(reading, "home", refused)
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert "111" not in response.text
    events.bus(app).close()


def test_a_pool_with_no_free_connection_is_a_503_at_every_door(tmp_path, monkeypatch):
    """Every pooled connection busy for the pool's whole timeout (more requests at once
    than connections, under more load than the process can serve) is a moment's
    unavailability: 503 with Retry-After in each door's shape, after one wait for a
    connection, not one more for the error page; then served again."""
    database = f"sqlite:///{tmp_path / 'inkstand.sqlite3'}"
    # Whole seconds only (engine_from_config reads an int): 0 refuses at once.
    pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0}
    app = build_app(tmp_path, database, SQLALCHEMY_ENGINE_OPTIONS=pool)
    with app.app_context():
        upgrade()
        engine = db.engine
    client = app.test_client()
    urls = ("/", "/api/v1/posts", "/api/articles")
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    asked = []
    take = engine.pool._do_get
    monkeypatch.setattr(engine.pool, "_do_get", lambda: asked.append(1) or take())
    with engine.connect():  # the pool's one connection, held elsewhere
        for url in urls:
            asked.clear()
            response = client.get(url)
            assert int(response.headers["Retry-After"]) > 0
            assert len(asked) == 1, url
            if url == "/":  # the page itself would need a connection: said in plain text
                assert (response.status_code, response.mimetype) == (503, "text/plain")
                continue
            assert shaped_for_its_door(response, url, 503) is None, url
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    engine.dispose()


def test_not_found_and_method_not_allowed_are_styled(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert 'class="site-header"' in missing.get_data(as_text=True)
    wrong = client.get("/logout")
    assert wrong.status_code == 405
    assert 'class="site-header"' in wrong.get_data(as_text=True)


# Every route's 404, 405 and 401 in its door's shape.


def shaped_for_its_door(response: TestResponse, url: str, status: int) -> str | None:
    """Why the response is not a ``status`` answer in the shape of its door, if not."""
    if response.status_code != status:
        return f"status {response.status_code}"
    challenge = response.headers.get("WWW-Authenticate", "")
    if url.startswith("/api/v1/") or url == "/api/v1":
        document = response.get_json(force=True, silent=True) or {}
        ok = (
            response.mimetype == problems.MEDIA_TYPE
            and document.get("status") == status
            and str(document.get("type")).startswith(problems.TYPE_BASE)
            and bool(document.get("detail"))
            and (status != 401 or challenge.startswith("Bearer"))
        )
    elif url.startswith("/api/"):
        body = response.get_json(force=True, silent=True) or {}
        ok = (
            response.mimetype == "application/json"
            and set(body) == {"errors"}
            and all(isinstance(m, list) and m for m in body["errors"].values())
            and (status != 401 or challenge == "Token")
        )
    else:
        ok = response.mimetype == "text/html" and 'class="site-header"' in response.text
    return None if ok else f"not its door's shape: {response.mimetype} {response.text[:120]!r}"


def _rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule


def test_every_route_answers_405_in_its_doors_shape(app, client):
    adapter = app.url_map.bind("inkstand.test")
    failures, checked = [], 0
    for rule in _rules(app):
        url = any_url(app, rule, sorted(rule.methods or ())[0])
        refused = [m for m in METHODS if m not in adapter.allowed_methods(url)]
        if refused:
            checked += 1
            why = shaped_for_its_door(client.open(url, method=refused[0]), url, 405)
            if why:
                failures.append(f"{refused[0]} {url}: {why}")
    assert not failures, "\n".join(failures)
    assert checked > 40


def _missing_url(app: Flask, rule: Rule, method: str) -> str:
    """The route's URL naming things that do not exist."""

    def missing(name: str) -> object:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            return 987654
        if isinstance(converter, AnyConverter):  # a fixed choice (a feed's format): a real one
            return sorted(converter.items)[0]
        return "no-such-thing"

    values = {name: missing(name) for name in rule.arguments}
    return app.url_map.bind("inkstand.test").build(rule.endpoint, values, method=method)


def test_every_missing_thing_answers_404_in_its_doors_shape(app, client, factory):
    admin = factory.user("admin", "boss")
    realworld_token = app.extensions["inkstand.realworld"].issue(admin, utcnow())
    v1_token = tokens.create(db.session, admin, "walk", "read-write", utcnow())[1]
    login(client, admin)
    failures, found = [], set()
    for rule in _rules(app):
        for method in sorted((rule.methods or set()) & set(METHODS)):
            url = _missing_url(app, rule, method)
            if not url.startswith("/api/") and method != "GET":
                continue  # the site's forms need a CSRF token: covered by test_csrf.py
            scheme = "Bearer" if url.startswith("/api/v1/") else "Token"
            token = v1_token if scheme == "Bearer" else realworld_token
            response = client.open(
                url, method=method, json={}, headers={"Authorization": f"{scheme} {token}"}
            )
            if response.status_code == 404:
                found.add(rule.rule)
                why = shaped_for_its_door(response, url, 404)
                if why:
                    failures.append(f"{method} {url}: {why}")
    for url in ("/no/such/page", "/api/no/such", "/api/v1/no/such"):
        why = shaped_for_its_door(client.get(url), url, 404)
        if why:
            failures.append(f"GET {url}: {why}")
    assert not failures, "\n".join(failures)
    assert len(found) > 20  # every door's routes that name something answered 404
    assert {"/posts/<int:post_id>/comments/stream", "/api/v1/posts/<int:post_id>",
            "/api/articles/<slug>"} <= found  # fmt: skip


def test_every_api_route_answers_a_bad_token_with_401_in_its_doors_shape(app, client):
    """The native API reads the token before anything else; the RealWorld API reads it
    where it asks who is calling (not to register, log in or list tags)."""
    failures, refused = [], {"/api/v1/": 0, "/api/": 0}
    for rule in _rules(app):
        calls = rule.endpoint.startswith(("api_v1_", "realworld."))
        if not calls or rule.endpoint.startswith("api_v1_docs."):
            continue  # the site, and the API's documents, read no token
        for method in sorted((rule.methods or set()) & set(METHODS)):
            url = any_url(app, rule, method)
            door = "/api/v1/" if url.startswith("/api/v1/") else "/api/"
            header = "Bearer ink_not-a-token" if door == "/api/v1/" else "Token not.a.jwt"
            response = client.open(url, method=method, json={}, headers={"Authorization": header})
            if response.status_code == 401 or door == "/api/v1/":
                refused[door] += 1
                why = shaped_for_its_door(response, url, 401)
                if why:
                    failures.append(f"{method} {url}: {why}")
    assert not failures, "\n".join(failures)
    assert refused["/api/v1/"] > 8
    assert refused["/api/"] > 12


def test_a_lost_database_after_the_view_is_a_503_too(tmp_path):
    """An after-request hook (the page cache storing a page) that loses the database is
    wrapped by Flask in a 500; it is unavailability all the same."""
    database = f"sqlite:///{tmp_path / 'inkstand.sqlite3'}"
    app = build_app(tmp_path, database, PROPAGATE_EXCEPTIONS=False)  # as in production

    @app.after_request
    def store(response):
        _connection_lost()

    with app.app_context():
        upgrade()
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
