"""Rate limits are policies: each budget is spent alike through every door (the site's
forms, /api/v1, the RealWorld API), and every route that takes a limited action
carries its policy.

The routes are found by walking the app's URL map, so a comment, log-in or
registration route added tomorrow is checked the day it exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import count, cycle

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_limiter.util import get_qualified_name
from sqlalchemy import select

from inkstand import limits
from inkstand.accounts import tokens
from inkstand.accounts.models import User
from inkstand.blog import pagecache
from inkstand.blog.models import Post
from inkstand.config import DEFAULTS
from inkstand.db import utcnow
from inkstand.extensions import db, limiter
from inkstand.site import services as site
from tests.api.realworld.calls import token_for
from tests.helpers import PASSWORD, Factory, app_with_limits, login, submit

Spend = Callable[[FlaskClient, User, str], int]
_serial = count(1)


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url, tmp_path) -> Iterator[Flask]:
    """Budgets of three, each kept in memory or in Redis; an open post to comment on."""
    overrides = dict.fromkeys(_settings(), "3 per minute")
    with app_with_limits(request.param, tmp_path, database_url, **overrides) as app:
        factory = Factory(app)
        admin = factory.user("admin", "boss")
        site.update(db.session, admin, comment_policy="open")
        factory.post(factory.user("author", "writer"), "Discussed")
        yield app


def _settings() -> set[str]:
    return {budget.setting for policy in limits.POLICIES for budget in policy.budgets}


def _post_id() -> int:
    found = db.session.scalar(select(Post.id))
    assert found is not None
    return found


def _at(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


# Each door's way of taking an action, answering its status.


def _comment_on_the_site(client: FlaskClient, user: User, address: str) -> int:
    login(client, user)
    body = {"body": f"Comment {next(_serial)}"}
    return submit(client, f"/posts/{_post_id()}/comments", body, **_at(address)).status_code


def _comment_through_v1(client: FlaskClient, user: User, address: str) -> int:
    token = tokens.create(db.session, user, f"t{next(_serial)}", "read-write", utcnow())[1]
    return client.post(
        f"/api/v1/posts/{_post_id()}/comments", json={"body": f"Comment {next(_serial)}"},
        headers={"Authorization": f"Bearer {token}"}, **_at(address),
    ).status_code  # fmt: skip


def _comment_through_realworld(client: FlaskClient, user: User, address: str) -> int:
    slug = db.session.scalar(select(Post.slug))
    return client.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": f"Comment {next(_serial)}"}},
        headers={"Authorization": f"Token {token_for(client.application, user)}"},
        **_at(address),
    ).status_code  # fmt: skip


def _fail_login_on_the_site(client: FlaskClient, user: User, address: str) -> int:
    data = {"login": user.email.upper(), "password": "not " + PASSWORD}
    return submit(client, "/login", data, **_at(address)).status_code


def _fail_login_through_realworld(client: FlaskClient, user: User, address: str) -> int:
    data = {"user": {"email": user.email, "password": "not " + PASSWORD}}
    return client.post("/api/users/login", json=data, **_at(address)).status_code


def _register_on_the_site(client: FlaskClient, user: User, address: str) -> int:
    n = next(_serial)
    data = {"username": f"new{n}", "email": f"new{n}@example.com", "password": PASSWORD}
    return submit(client, "/register", data, page="/register", **_at(address)).status_code


def _register_through_realworld(client: FlaskClient, user: User, address: str) -> int:
    n = next(_serial)
    data = {"user": {"username": f"new{n}", "email": f"new{n}@example.com", "password": PASSWORD}}
    return client.post("/api/users", json=data, **_at(address)).status_code


DOORS: dict[str, tuple[Spend, ...]] = {
    "comment": (_comment_on_the_site, _comment_through_v1, _comment_through_realworld),
    "login": (_fail_login_on_the_site, _fail_login_through_realworld),
    "register": (_register_on_the_site, _register_through_realworld),
}


def _spend_in_turn(app: Flask, doors: tuple[Spend, ...], who: Callable[[int], User],
                   where: Callable[[int], str]) -> list[int]:  # fmt: skip
    """Take the action four times, each door in turn: a budget of three is spent by
    the first three, whichever doors they came through."""
    turns = cycle(doors)
    return [next(turns)(app.test_client(), who(n), where(n)) for n in range(4)]


@pytest.mark.parametrize("kind", ["comment", "login"])
def test_one_account_spends_one_budget_through_every_door(limited_app, kind):
    factory = Factory(limited_app)
    rita = factory.user("reader", "rita", email="rita@example.com")
    statuses = _spend_in_turn(limited_app, DOORS[kind], lambda n: rita, lambda n: f"10.0.0.{n}")
    assert statuses[3] == 429, statuses
    assert 429 not in statuses[:3], statuses
    for door in DOORS[kind]:  # spent for every door alike, and for her only
        assert door(limited_app.test_client(), rita, "10.0.1.1") == 429
    sam = factory.user("reader", "sam", email="sam@example.com")
    assert DOORS[kind][-1](limited_app.test_client(), sam, "10.0.1.2") != 429


@pytest.mark.parametrize("kind", sorted(DOORS))
def test_one_address_spends_one_budget_through_every_door(limited_app, kind):
    factory = Factory(limited_app)
    readers = [factory.user("reader", f"reader{n}", email=f"r{n}@example.com") for n in range(6)]
    statuses = _spend_in_turn(limited_app, DOORS[kind], readers.__getitem__, lambda n: "10.0.0.1")
    assert statuses[3] == 429, statuses
    assert 429 not in statuses[:3], statuses
    for door in DOORS[kind]:
        assert door(limited_app.test_client(), readers[4], "10.0.0.1") == 429
    assert DOORS[kind][0](limited_app.test_client(), readers[5], "10.0.0.2") != 429


# Every route of a limited kind carries its policy.

KINDS: dict[str, tuple[str, re.Pattern[str], limits.Policy]] = {
    "comment": ("POST", re.compile(r"/comments$"), limits.COMMENT),
    "log-in": ("POST", re.compile(r"/login$"), limits.LOGIN),
    "registration": ("POST", re.compile(r"^(/register|/api/users)$"), limits.REGISTER),
    "password reset": ("POST", re.compile(r"/password/forgot$"), limits.PASSWORD_RESET),
    "two-factor code": ("POST", re.compile(r"^/(login/code|settings/two-f.*)$"), limits.TWO_FACTOR),
    "confirmation mail": ("POST", re.compile(r"^/confirm/resend$"), limits.CONFIRMATION_MAIL),
    "live comments": ("GET", re.compile(r"/comments/(stream|updates)$"), limits.LIVE),
    "preview": ("POST", re.compile(r"/preview$"), limits.PREVIEW),
    "autosave": ("POST", re.compile(r"/autosave$"), limits.AUTOSAVE),
    "subscribe": ("POST", re.compile(r"^/subscribe$"), limits.SUBSCRIBE),
    "native API": ("GET", re.compile(r"^/api/v1/(?!openapi|docs|problems/)"), limits.API),
}


def _scopes(app: Flask, endpoint: str, method: str) -> set[str]:
    """The shared budgets the limiter applies to a route for a method."""
    manager = limiter.limit_manager
    found = list(manager.decorated_limits(get_qualified_name(app.view_functions[endpoint])))
    blueprint = endpoint.rpartition(".")[0]
    if blueprint:
        found += manager.blueprint_limits(app, blueprint)
    return {
        str(limit.scope) for limit in found
        if limit.shared and (not limit.methods or method.lower() in limit.methods)
    }  # fmt: skip


def test_every_route_of_a_limited_kind_carries_its_policy(app):
    seen: dict[str, list[str]] = {kind: [] for kind in KINDS}
    missing = []
    for rule in app.url_map.iter_rules():
        for kind, (method, pattern, policy) in KINDS.items():
            if method in (rule.methods or ()) and pattern.search(rule.rule):
                seen[kind].append(rule.rule)
                wanted = {budget.scope for budget in policy.budgets}
                if not wanted <= _scopes(app, rule.endpoint, method):
                    missing.append(f"{method} {rule.rule} lacks the {policy.name} policy")
    assert not missing
    # Each kind is taken through every door that offers it.
    doors = {kind: len(rules) for kind, rules in seen.items()}
    assert doors == {"comment": 3, "log-in": 2, "registration": 2, "password reset": 1,
                     "two-factor code": 4, "confirmation mail": 1,
                     "live comments": 2, "preview": 1, "autosave": 1, "subscribe": 1,
                     "native API": doors["native API"]}  # fmt: skip
    assert doors["native API"] > 5


def test_no_kept_page_has_a_limit(app):
    """A kept page is answered in front of Flask (blog/pagecache.py), where no limit is
    checked: a limit on one of these routes would not be spent by its hits."""
    assert _scopes(app, "api_v1_posts.index", "GET")  # the check sees a limited route
    limited = [
        endpoint for endpoint in sorted(pagecache.CACHEABLE) if _scopes(app, endpoint, "GET")
    ]
    assert limited == []


def test_every_limit_is_a_setting():
    assert _settings() <= set(DEFAULTS)
    others = {limits.PASSWORD_RESET_MAIL.setting, limits.LIVE_READERS.per_address,
              limits.LIVE_READERS.per_account}  # fmt: skip
    assert others <= set(DEFAULTS)


def test_only_requests_a_limit_can_apply_to_are_checked(app, client, factory, monkeypatch):
    """A page or a RealWorld read has no limit: Flask-Limiter is not asked to look for
    one. The native API's blueprint limits are still checked in front of its views."""
    resolved: list[str] = []
    manager = limiter.limit_manager
    resolve = manager.resolve_limits

    def spy(*args, **kwargs):
        resolved.append(args[1])
        return resolve(*args, **kwargs)

    monkeypatch.setattr(manager, "resolve_limits", spy)
    post = factory.post(factory.user(), "Read")
    for path in ("/", f"/posts/{post.slug}", "/api/articles", f"/api/articles/{post.slug}"):
        assert client.get(path).status_code == 200
    assert resolved == []
    answer = client.get("/api/v1/posts")
    assert resolved == ["api_v1_posts.index"]
    assert "X-RateLimit-Limit" in answer.headers
