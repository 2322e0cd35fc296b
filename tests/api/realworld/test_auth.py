"""Tokens, errors and CORS: what every RealWorld endpoint shares."""

from __future__ import annotations

import warnings
from datetime import timedelta

import jwt
import pytest

from inkstand.api.realworld.tokens import Tokens
from inkstand.blog import reading
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.api.realworld.calls import errors, registration_at_once, token_for


def _me(api, header):
    return api.get("/user", headers={"Authorization": header})


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "bearer"])
def test_token_and_bearer_schemes_are_accepted(api, app, factory, scheme):
    user = factory.user()
    response = _me(api, f"{scheme} {token_for(app, user)}")
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == user.username


@pytest.mark.parametrize(
    "header",
    ["Token", "Token ", "Basic dXNlcjpwYXNz", "Token not.a.jwt", "Token a.b.c", "Token \x00"],
)
def test_a_malformed_token_is_401(api, header):
    response = _me(api, header)
    assert response.status_code == 401
    assert errors(response)


def test_a_token_signed_with_another_key_is_401(api, app, factory):
    user = factory.user()
    forged = Tokens("another secret key", 3600).issue(user, utcnow())
    assert _me(api, f"Token {forged}").status_code == 401


def test_an_expired_token_is_401(api, app, factory):
    user = factory.user()
    tokens = Tokens(app.config["SECRET_KEY"], 60)
    expired = tokens.issue(user, utcnow() - timedelta(minutes=2))
    fresh = tokens.issue(user, utcnow())
    assert _me(api, f"Token {expired}").status_code == 401
    assert _me(api, f"Token {fresh}").status_code == 200


def test_a_token_for_a_deleted_account_is_401(api, app, factory):
    user = factory.user()
    token = token_for(app, user)
    db.session.delete(user)
    db.session.commit()
    assert _me(api, f"Token {token}").status_code == 401


@pytest.mark.parametrize("algorithm", ["none", "HS512"])
def test_only_hs256_tokens_are_accepted(api, app, factory, algorithm):
    user = factory.user()
    good = token_for(app, user)
    claims = jwt.decode(good, options={"verify_signature": False})
    key = Tokens(app.config["SECRET_KEY"], 60)._key if algorithm != "none" else None
    with warnings.catch_warnings():  # our 32-byte key is short for HS512: the point here
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        other = jwt.encode(claims, key, algorithm=algorithm)
    assert _me(api, f"Token {other}").status_code == 401


def test_a_bad_token_is_401_even_where_a_token_is_optional(api):
    response = api.get("/articles", headers={"Authorization": "Token nonsense"})
    assert response.status_code == 401


def test_the_token_holds_an_expiry_and_no_secret(app, factory):
    user = factory.user()
    claims = jwt.decode(token_for(app, user), options={"verify_signature": False})
    assert set(claims) == {"sub", "fp", "aud", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == app.config["REALWORLD_TOKEN_MAX_AGE"]
    assert user.password_hash not in str(claims)


def test_preflight_allows_cross_origin_calls_with_a_token(api):
    response = api.call(
        "OPTIONS", "/articles",
        headers={
            "Origin": "https://front.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Set-Cookie" not in response.headers


def test_answers_and_errors_carry_cors_headers(api):
    assert api.get("/tags").headers["Access-Control-Allow-Origin"] == "*"
    assert api.get("/user").headers["Access-Control-Allow-Origin"] == "*"


def test_the_site_pages_get_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def test_calls_need_no_csrf_token(api, factory):
    response = api.post("/users", json={"user": {
        "username": "jake", "email": "jake@example.com", "password": "jakejakejake"}})  # fmt: skip
    assert response.status_code == 201


def test_a_missing_article_is_json_404(api):
    response = api.get("/articles/nothing-here")
    assert response.status_code == 404
    assert errors(response)


def test_an_unexpected_error_is_json_500(api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reading, "tags_in_use", broken)
    response = api.get("/tags")
    assert response.status_code == 500
    assert errors(response)


@pytest.mark.parametrize("query", ["?tag=%00", "?author=a%00", "?favorited=%00x", "?tag=%ff%fe"])
def test_nul_and_odd_bytes_in_filters_match_nothing(api, query):
    response = api.get(f"/articles{query}")
    assert response.status_code == 200
    assert response.get_json() == {"articles": [], "articlesCount": 0}


def test_nul_in_a_body_is_dropped_as_the_forms_drop_it(app, api, factory):
    factory.user(email="ada@example.com")
    registration_at_once(app)
    response = api.post(
        "/users/login", json={"user": {"email": "ada@exa\x00mple.com", "password": "x\x00"}}
    )
    assert response.status_code == 401
    new = {"email": "bea\x00@example.com", "password": "bea's password", "username": "b\x00ea"}
    response = api.post("/users", json={"user": new})
    assert response.status_code == 201
    assert response.get_json()["user"]["username"] == "bea"
