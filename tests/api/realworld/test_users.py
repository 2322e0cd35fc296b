"""Registration, log-in and the caller's own account through the RealWorld API."""

from __future__ import annotations

import pytest

from inkstand.accounts.models import Role, User
from inkstand.accounts.services import BIO_MAX
from inkstand.extensions import db
from inkstand.site import services as site
from tests.api.realworld.calls import errors, registration_at_once, token_for
from tests.helpers import PASSWORD, login

NEW = {"username": "jake", "email": "jake@example.com", "password": "jakejakejake"}


@pytest.fixture(autouse=True)
def _registration_at_once(app):
    registration_at_once(app)


def _user_shape(body):
    assert set(body) == {"user"}
    assert set(body["user"]) == {"email", "token", "username", "bio", "image"}
    return body["user"]


def test_registering_returns_the_account_with_a_token_that_works(api, factory):
    factory.user("admin")  # the first account is the admin; this one is not
    response = api.post("/users", json={"user": NEW})
    assert response.status_code == 201
    user = _user_shape(response.get_json())
    assert (user["username"], user["email"], user["bio"], user["image"]) == (
        "jake", "jake@example.com", "", "",
    )  # fmt: skip
    me = api.get("/user", headers={"Authorization": f"Token {user['token']}"})
    assert me.status_code == 200
    assert _user_shape(me.get_json())["username"] == "jake"


@pytest.mark.parametrize("role", ["reader", "author"])
def test_new_accounts_get_the_sites_new_account_role(api, factory, role):
    admin = factory.user("admin")
    site.update(db.session, admin, new_account_role=role)
    assert api.post("/users", json={"user": NEW}).status_code == 201
    assert db.session.scalar(db.select(User.role).where(User.username == "jake")) == role


def test_registration_closed_is_forbidden(api, factory):
    admin = factory.user("admin")
    site.update(db.session, admin, registration_open=False)
    response = api.post("/users", json={"user": NEW})
    assert response.status_code == 403
    assert "closed" in errors(response)["body"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "no spaces"}, "username"),
        ({"email": "not-an-address"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "jake@example.com"}, "password"),
        ({"username": 7}, "username"),
        ({"password": None}, "password"),
    ],
)
def test_registration_breaking_a_rule_is_422_naming_the_field(api, changes, field):
    response = api.post("/users", json={"user": {**NEW, **changes}})
    assert response.status_code == 422
    assert field in errors(response)


def test_a_taken_username_or_address_is_422(api, factory):
    factory.user(username="jake", email="jake@example.com")
    response = api.post("/users", json={"user": NEW})
    assert response.status_code == 422
    assert set(errors(response)) == {"username", "email"}


@pytest.mark.parametrize(
    "payload",
    [None, "text", [], {"user": "jake"}, {"user": []}, {"nobody": {}}],
)
def test_bodies_of_the_wrong_shape_are_422_not_500(api, payload):
    response = api.post("/users", json=payload)
    assert response.status_code == 422
    assert "body" in errors(response)


def test_malformed_json_is_422(api):
    response = api.post("/users", data=b'{"user": {', content_type="application/json")
    assert response.status_code == 422
    assert "body" in errors(response)


def test_log_in_with_email_and_password(api, factory):
    user = factory.user(email="ada@example.com")
    response = api.post(
        "/users/login", json={"user": {"email": "ADA@example.com", "password": PASSWORD}}
    )
    assert response.status_code == 200
    assert _user_shape(response.get_json())["username"] == user.username


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "ada@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
def test_a_wrong_log_in_is_401(api, factory, credentials):
    factory.user(email="ada@example.com")
    response = api.post("/users/login", json={"user": credentials})
    assert response.status_code == 401
    assert errors(response)


def test_failed_log_ins_are_limited_per_account(api, factory, app):
    factory.user(email="ada@example.com")
    wrong = {"user": {"email": "ada@example.com", "password": "wrong password"}}
    codes = [api.post("/users/login", json=wrong).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert errors(api.post("/users/login", json=wrong))


def test_current_user_needs_a_token(api):
    response = api.get("/user")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert errors(response)


def test_update_changes_the_account_and_keeps_what_was_not_sent(api, factory):
    user = factory.user(username="ada", email="ada@example.com")
    response = api.put(
        "/user", user, json={"user": {"bio": "I write.", "image": "https://example.com/a.png"}}
    )
    assert response.status_code == 200
    body = _user_shape(response.get_json())
    assert (body["username"], body["bio"], body["image"]) == (
        "ada", "I write.", "https://example.com/a.png",
    )  # fmt: skip
    db.session.refresh(user)
    assert (user.email, user.bio) == ("ada@example.com", "I write.")


def test_sending_ones_own_address_again_is_no_clash(api, factory):
    user = factory.user(email="ada@example.com")
    response = api.put("/user", user, json={"user": {"email": "ada@example.com"}})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "taken@example.com"}, "email"),
        ({"username": "taken"}, "username"),
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"image": "javascript:alert(1)"}, "image"),
        ({"bio": 12}, "bio"),
        ({"bio": "x" * (BIO_MAX + 1)}, "bio"),
    ],
)
def test_update_breaking_a_rule_is_422_and_changes_nothing(api, factory, changes, field):
    factory.user(username="taken", email="taken@example.com")
    user = factory.user(username="ada", email="ada@example.com")
    response = api.put("/user", user, json={"user": {"bio": "new bio", **changes}})
    assert response.status_code == 422
    assert field in errors(response)
    db.session.expire_all()
    assert db.session.get(User, user.id).bio == ""


def test_a_new_password_ends_old_tokens_and_the_answer_has_a_new_one(api, factory, app):
    user = factory.user()
    old = {"Authorization": f"Token {token_for(app, user)}"}
    response = api.call("PUT", "/user", headers=old, json={"user": {"password": "a new password"}})
    assert response.status_code == 200
    new = {"Authorization": f"Token {response.get_json()['user']['token']}"}
    assert api.get("/user", headers=old).status_code == 401
    assert api.get("/user", headers=new).status_code == 200


def test_update_needs_a_token(api):
    assert api.put("/user", json={"user": {"bio": "x"}}).status_code == 401


def test_the_api_never_reads_the_session_cookie(api, client, factory):
    user = factory.user(Role.AUTHOR)
    login(client, user)
    assert api.get("/user").status_code == 401
