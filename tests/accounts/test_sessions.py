"""Log-in sessions end on the server: logging out ends that browser's session, and a
copy of its cookies (session or remember-me) opens nothing; "log out everywhere"
ends every session and RealWorld token of the account; a session lasts at most
SESSION_MAX_AGE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inkstand.accounts import sessions
from inkstand.accounts.models import ApiToken, EndedSession
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import PASSWORD, Doors, submit

EVERYWHERE = "/settings/logout-everywhere"


def _log_in(client: FlaskClient, username: str, remember: bool = False) -> None:
    data = {"login": username, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert submit(client, "/login", data).status_code == 302


def _copy(app: Flask, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding copies of ``client``'s cookies named ``names``."""
    thief = app.test_client()
    for name in names:
        domain = client.application.config["SERVER_NAME"]
        cookie = client.get_cookie(name, domain=domain)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value, domain=domain)
    return thief


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/settings").status_code == 200


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_copied_cookie_stops_working_at_log_out(app, client, factory, cookie):
    factory.user(username="ada")
    _log_in(client, "ada", remember=True)
    thief = _copy(app, client, cookie)
    assert _logged_in(thief)  # the copy works while the session lasts

    assert submit(client, "/logout", page="/settings").status_code == 302

    assert not _logged_in(client)
    assert not _logged_in(thief)


def test_log_out_ends_only_that_session(app, client, factory):
    factory.user(username="ada")
    _log_in(client, "ada")
    phone = app.test_client()
    _log_in(phone, "ada", remember=True)
    submit(client, "/logout", page="/settings")
    assert _logged_in(phone)
    phone.delete_cookie("session")
    assert _logged_in(phone)  # on its remember-me cookie


def test_log_out_everywhere_ends_every_session_and_realworld_token(app, client, factory):
    user = factory.user(username="ada")
    doors = Doors(app, client, user)
    laptop, phone = app.test_client(), app.test_client()
    _log_in(laptop, "ada")
    _log_in(phone, "ada", remember=True)
    remembered = _copy(app, phone, "remember_token")

    response = submit(client, EVERYWHERE, page="/settings")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    for browser in (client, laptop, phone, remembered):
        assert not _logged_in(browser)
    assert doors.realworld("GET", "/api/user").status_code == 401
    assert doors.v1("GET", "/api/v1/me").status_code == 200  # API tokens stay unless asked
    _log_in(laptop, "ada")  # and she logs in again as ever
    assert _logged_in(laptop)


def test_log_out_everywhere_revokes_api_tokens_when_asked(app, client, factory):
    user = factory.user(username="ada")
    doors = Doors(app, client, user)
    submit(client, EVERYWHERE, {"everywhere-revoke_tokens": "y"}, page="/settings")
    assert doors.v1("GET", "/api/v1/me").status_code == 401
    assert all(db.session.scalars(select(ApiToken.revoked_at)))


def test_the_settings_page_offers_it_as_a_form_with_csrf(client, factory):
    factory.user(username="ada")
    _log_in(client, "ada")
    page = client.get("/settings").get_data(as_text=True)
    assert f'action="{EVERYWHERE}"' in page
    assert 'name="everywhere-csrf_token"' in page
    assert client.post(EVERYWHERE).status_code == 400  # no CSRF token
    assert _logged_in(client)


def test_log_out_everywhere_needs_a_log_in(client, factory):
    response = submit(client, EVERYWHERE)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_session_lasts_at_most_its_max_age(app, factory):
    user = factory.user()
    began = utcnow().replace(microsecond=0)  # a key keeps whole seconds
    key = sessions.begin(user, began)
    max_age = app.config["SESSION_MAX_AGE"]
    assert sessions.account_for(db.session, key, began + timedelta(seconds=max_age), max_age)
    late = began + timedelta(seconds=max_age + 1)
    assert sessions.account_for(db.session, key, late, max_age) is None


@pytest.mark.parametrize(
    "key",
    ["1", "1:abc", "1:abc:def", "x:abc:def:1", "1:a:b:99999999999999999999", "1:a b:c:1", 7, None,
     "0:a:b:1", f"{2**31}:a:b:1"],
)  # fmt: skip
def test_anything_but_a_session_key_opens_nothing(app, factory, key):
    factory.user()
    assert sessions.account_for(db.session, key, utcnow(), 3600) is None


def test_a_key_of_another_account_or_generation_opens_nothing(app, factory):
    ada, bob = factory.user(), factory.user()
    key = sessions.begin(ada, utcnow())
    forged = key.replace(f"{ada.id}:", f"{bob.id}:", 1)
    assert sessions.account_for(db.session, forged, utcnow(), 3600) is None
    assert sessions.account_for(db.session, key, utcnow(), 3600) == ada
    sessions.end_everywhere(db.session, ada, revoke_tokens=False, now=utcnow())
    assert sessions.account_for(db.session, key, utcnow(), 3600) is None


def test_ended_sessions_are_forgotten_once_their_keys_have_expired(app, factory):
    user = factory.user()
    began = utcnow()
    first = sessions.begin(user, began)
    sessions.end(db.session, first, began, 60)
    sessions.end(db.session, first, began, 60)  # twice: one row
    assert db.session.scalar(select(func.count()).select_from(EndedSession)) == 1
    later = began + timedelta(seconds=61)
    sessions.end(db.session, sessions.begin(user, later), later, 60)
    [kept] = db.session.scalars(select(EndedSession))
    assert kept.expires_at == later.replace(microsecond=0) + timedelta(seconds=60)
