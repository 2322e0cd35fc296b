"""Every state-changing route refuses a request without a valid CSRF token.

The routes are found by walking the app's URL map, so a new POST route is
covered the day it is added (or fails here until the test knows how to build
its URL).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from inkstand import runtime
from inkstand.accounts import tokens
from inkstand.accounts.models import ApiToken, Follow, Invitation, User
from inkstand.blog.models import Favourite, Post, Revision
from inkstand.comments import services as comments
from inkstand.comments.models import Comment
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.media import services as media
from inkstand.media.models import Media
from inkstand.pages import services as pages
from inkstand.pages.models import Page
from inkstand.site.models import SiteSetting
from inkstand.subscriptions.models import Subscriber
from tests.helpers import Factory, change, csrf_token, image_bytes, login

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# JSON APIs that authenticate by a token in a header and never read the session
# cookie: a forged cross-site request carries no token, so they need no CSRF token.
TOKEN_APIS = ("realworld.",)
CSRF_MESSAGE = "This form has expired or was not sent from this site."
MUST_BE_COVERED = {
    "accounts.login",
    "accounts.logout",
    "accounts.register",
    "accounts.settings",
    "accounts.reset_password",
    "blog.new",
    "blog.edit",
    "blog.delete",
    "blog.restore",
    "admin.change_role",
    "admin.settings",
    "comments.create",
    "comments.edit",
    "comments.delete",
    "comments.moderate",
    "accounts.follow",
    "accounts.unfollow",
    "blog.favourite",
    "blog.unfavourite",
    "accounts.api_tokens",
    "accounts.revoke_token",
}
# RFC 8058: a mail client's one-click unsubscribe POST carries no CSRF token; the signed
# link in its URL is what authenticates it (tests/subscriptions/test_subscribe.py).
SIGNED_LINK_ONLY = {"subscriptions.unsubscribe"}
# The native API takes no cookie, only tokens, so it has no CSRF check to walk:
# tests/api/v1 shows it refuses a logged-in browser's writes.
TOKEN_ONLY_PREFIX = "/api/"


def unsafe_routes(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) for every non-static rule that changes state."""
    return sorted(
        (
            (rule, method)
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            and not rule.rule.startswith(TOKEN_ONLY_PREFIX)
            and rule.endpoint not in SIGNED_LINK_ONLY
            for method in sorted((rule.methods or set()) & UNSAFE_METHODS)
        ),
        key=lambda pair: (pair[0].endpoint, pair[1]),
    )


@pytest.fixture
def world(app: Flask, factory: Factory, client: FlaskClient) -> dict[str, Any]:
    """An admin logged in, a post with two revisions and a comment, another account and
    its reset token."""
    admin = factory.user("admin", "boss")
    other = factory.user("author", "other")
    post = factory.post(other, "A post to protect")
    comment = comments.post_comment(
        db.session, other, post.id, comments.CommentInput(body="A comment to protect"),
        runtime.now(), "open", comments.SpamRules(min_seconds=0),
    )  # fmt: skip
    # A second revision, so that restoring revision 1 is a real action.
    change(post, admin, title="Renamed", body="New body")
    token, _ = tokens.create(db.session, admin, "A token to protect", "read", runtime.now())
    image = media.upload(
        db.session, media_context.storage(), other, image_bytes(), media_context.limits(),
        lambda media_id: None,
    )  # fmt: skip
    page = pages.create_page(
        db.session, admin, pages.PageChanges(title="A page to protect", body="Words."),
        runtime.now(), 10_000, frozenset(),
    )  # fmt: skip
    invitation = Invitation(email="invited@example.org", role="author", nonce="n" * 16,
                            invited_by_id=admin.id)  # fmt: skip
    subscriber = Subscriber(email="reader@example.org", scope="site", key="k" * 16)
    db.session.add_all([invitation, subscriber])
    db.session.commit()
    login(client, admin)
    return {
        "page_id": page.id,
        "invitation_id": invitation.id,
        "subscriber_id": subscriber.id,
        "media_id": image.id,
        "token_id": token.id,
        "post_id": post.id,
        "comment_id": comment.id,
        "number": 1,
        "user_id": other.id,
        "token": runtime.get().reset_links.issue(other),
        "other": other,
        "username": other.username,
    }


def build_url(app: Flask, rule: Rule, method: str, values: dict[str, Any]) -> str:
    missing = rule.arguments - values.keys()
    assert not missing, f"teach test_csrf how to fill {missing} in {rule.rule}"
    args = {name: values[name] for name in rule.arguments}
    adapter = app.url_map.bind("inkstand.test")
    url = adapter.build(rule.endpoint, args, method=method)
    # The URL really reaches this route: an unmatched URL would skip the CSRF check.
    assert adapter.match(url, method=method) == (rule.endpoint, args)
    return url


def snapshot(other: User) -> tuple[Any, ...]:
    """What the refused requests might have changed, read fresh from the database."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(Post.id))),
        db.session.scalar(select(func.count(Revision.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(User.role).where(User.id == other.id)),
        db.session.scalar(select(User.password_hash).where(User.id == other.id)),
        db.session.scalar(select(Post.title).order_by(Post.id.desc()).limit(1)),
        db.session.scalar(select(func.count()).select_from(SiteSetting)),
        db.session.scalar(select(func.max(User.display_name))),
        db.session.scalar(select(func.count(Comment.id))),
        db.session.scalar(select(func.max(Comment.body_source))),
        db.session.scalar(select(func.max(Comment.status))),
        db.session.scalar(select(func.count()).select_from(Follow)),
        db.session.scalar(select(func.count()).select_from(Favourite)),
        db.session.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))),
        db.session.scalar(select(func.count(Media.id))),
        db.session.scalar(select(func.max(Page.title))),
        db.session.scalar(select(func.max(SiteSetting.value)).where(SiteSetting.key == "menu")),
    )


def refused_by_csrf(response: TestResponse) -> bool:
    return response.status_code == 400 and CSRF_MESSAGE in response.get_data(as_text=True)


FORM = {
    "title": "Changed by a forged form",
    "body": "Forged body",
    "status": "published",
    "role": "reader",
    "password": "a brand new password",
    "login": "boss",
    "username": "forger",
    "email": "forger@example.com",
    "display_name": "Forged",
    "posts_per_page": "3",
    "comment_policy": "open",
    "action": "spam",
    "name": "A forged token",
    "scope": "read-write",
}


def test_the_walk_finds_the_state_changing_routes(app: Flask) -> None:
    endpoints = {rule.endpoint for rule, _ in unsafe_routes(app)}
    assert endpoints, "no state-changing route found: the walk is broken"
    assert endpoints >= MUST_BE_COVERED
    assert "static" not in endpoints
    assert "blog.index" not in endpoints  # GET-only routes are not walked


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param(
            URLSafeTimedSerializer("test-secret-key", salt="wtf-csrf-token").dumps("0" * 40),
            id="signed-for-another-session",
        ),
        pytest.param(
            URLSafeTimedSerializer("another-key", salt="wtf-csrf-token").dumps("0" * 40),
            id="signed-with-another-key",
        ),
    ],
)
def test_every_state_changing_route_refuses_a_bad_token(
    app: Flask, client: FlaskClient, world: dict[str, Any], token: str | None
) -> None:
    before = snapshot(world["other"])
    form = {**FORM, "ids": str(world["comment_id"])}
    data = form if token is None else {**form, "csrf_token": token}
    failures = []
    for rule, method in unsafe_routes(app):
        url = build_url(app, rule, method, world)
        response = client.open(url, method=method, data=data)
        if not refused_by_csrf(response):
            failures.append(f"{method} {url} ({rule.endpoint}): {response.status_code}")
    assert not failures, "accepted without a valid CSRF token:\n" + "\n".join(failures)
    assert snapshot(world["other"]) == before
    # Still logged in as the admin: the forged logout did nothing.
    assert client.get("/admin/users").status_code == 200


def test_the_token_is_not_read_from_the_query_string(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    token = csrf_token(client, "/settings")
    response = client.post(f"/posts/{world['post_id']}/delete?csrf_token={token}")
    assert refused_by_csrf(response)
    assert db.session.get(Post, world["post_id"]) is not None


def test_a_valid_token_gets_past_the_check_on_every_route(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    """The control: the refusals above come from the missing token, not the URL or data."""
    routes = unsafe_routes(app)
    # Log out last, so every other route is tried as the admin.
    routes.sort(key=lambda pair: pair[0].endpoint == "accounts.logout")
    for rule, method in routes:
        url = build_url(app, rule, method, world)
        # A fresh token each time: logging in (the login form) starts a new session.
        token = csrf_token(client, "/login")
        data = {**FORM, "ids": str(world["comment_id"]), "csrf_token": token}
        response = client.open(url, method=method, data=data)
        assert not refused_by_csrf(response), f"{method} {url}"
        assert response.status_code < 500, f"{method} {url}"


def test_token_apis_ignore_the_session_cookie(
    app: Flask, client: FlaskClient, world: dict[str, Any]
) -> None:
    """Why TOKEN_APIS may skip CSRF: a logged-in browser's cookie, all a forged
    request could carry, gets nothing done there."""
    before = snapshot(world["other"])
    values = {**world, "slug": "a-post-to-protect", "username": "other",
              "comment_id": str(world["comment_id"])}  # fmt: skip
    rules = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(TOKEN_APIS)
        for method in sorted((rule.methods or set()) & UNSAFE_METHODS)
    ]
    assert rules
    for rule, method in rules:
        if rule.endpoint in {"realworld.register", "realworld.login"}:
            continue  # open to anyone, and they issue tokens, not use them
        url = build_url(app, rule, method, values)
        response = client.open(url, method=method, json={"article": FORM, "user": FORM})
        assert response.status_code == 401, f"{method} {url}"
    assert snapshot(world["other"]) == before
