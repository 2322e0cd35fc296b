"""Changing one's password on the settings page, and the reset page's choice to
revoke API tokens: what ends, what stays logged in, and what is mailed."""

from __future__ import annotations

import dataclasses
import html
import re
import socket

import pytest
from sqlalchemy import select

from inkstand import runtime
from inkstand.accounts import services
from inkstand.accounts.models import ApiToken, Role
from inkstand.extensions import db
from tests.helpers import PASSWORD, Doors, Outbox, errors_on, login, submit

NEW = "a brand new password"
PAGE = "/settings/password"


def change(client, current=PASSWORD, password=NEW, **extra):
    data = {"current_password": current, "password": password, **extra}
    return submit(client, PAGE, data, page=PAGE)


def _opens(username: str, password: str) -> bool:
    db.session.expire_all()
    return (
        services.authenticate(db.session, runtime.get().passwords, username, password) is not None
    )


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(app)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.AUTHOR, Role.READER])
def test_every_role_changes_her_password_and_stays_logged_in_here_only(
    app, client, factory, outbox, role
):
    factory.user(username="first")  # the first account is always admin
    user = factory.user(role, username="ada", email="ada@example.com")
    doors = Doors(app, client, user)
    other_browser = app.test_client()
    submit(other_browser, "/login", {"login": "ada", "password": PASSWORD, "remember": "y"})
    assert other_browser.get("/settings").status_code == 200

    response = change(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/settings"
    assert client.get("/settings").status_code == 200  # this browser: still logged in
    assert other_browser.get("/settings").status_code == 302  # the other: logged out
    assert doors.realworld("GET", "/api/user").status_code == 401  # the old JWT: dead
    assert doors.v1("GET", "/api/v1/me").status_code == 200  # tokens kept unless asked
    assert _opens("ada", NEW)
    assert not _opens("ada", PASSWORD)
    [notice] = outbox.messages()
    assert notice["To"] == "ada@example.com"
    assert "password was changed" in notice["Subject"]
    assert "'ada'" in notice.get_content()
    assert "still work" in notice.get_content()


def test_this_browser_keeps_its_remember_me_cookie_valid(app, client, factory, outbox):
    user = factory.user(username="ada")
    submit(client, "/login", {"login": "ada", "password": PASSWORD, "remember": "y"})
    change(client)
    # A browser that comes back after its session cookie is gone, on the remember cookie.
    client.delete_cookie("session")
    assert client.get("/settings").status_code == 200
    assert user.username == "ada"


def test_asking_for_it_revokes_every_api_token_too(app, client, factory, outbox):
    user = factory.user()
    doors = Doors(app, client, user)
    response = change(client, revoke_tokens="y")
    assert response.status_code == 302
    assert doors.v1("GET", "/api/v1/me").status_code == 401
    revoked = db.session.scalars(select(ApiToken.revoked_at)).all()
    assert revoked
    assert all(when is not None for when in revoked)
    assert "were revoked" in outbox.messages()[0].get_content()


@pytest.mark.parametrize(
    ("current", "password", "message"),
    [
        ("not my password", NEW, "That is not your current password."),
        ("", NEW, "This field is required."),
        ("\x00", NEW, "This field is required."),  # NUL is dropped, as on every form
        (PASSWORD, "\x00" * 12, "This field is required."),
        (PASSWORD, "short", "Use at least 10 characters."),
        (PASSWORD, "ada@example.com", "not your username or e-mail"),
        (PASSWORD, PASSWORD, "other than your current one"),
        (PASSWORD, "x" * 257, "Field cannot be longer than 256 characters."),
        (PASSWORD, "", "This field is required."),
    ],
)
def test_bad_input_is_refused_on_the_page_and_nothing_changes(
    app, client, factory, outbox, current, password, message
):
    user = factory.user(username="ada", email="ada@example.com")
    login(client, user)
    before = user.password_hash
    response = change(client, current, password)
    assert response.status_code == 422
    assert any(message in error for error in errors_on(response)), errors_on(response)
    db.session.expire_all()
    assert user.password_hash == before
    assert outbox.messages() == []
    assert client.get("/settings").status_code == 200


def test_the_page_and_the_realworld_api_refuse_a_weak_password_alike(app, client, factory):
    user = factory.user(username="ada")
    doors = Doors(app, client, user)
    page = change(client, password="short")
    api = doors.realworld("PUT", "/api/user", {"user": {"password": "short"}})
    assert api.status_code == 422
    assert api.get_json()["errors"]["password"] == [
        html.unescape(e) for e in errors_on(page) if "10" in e
    ]


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post(PAGE, data={"current_password": PASSWORD}).status_code in (302, 400)


def test_the_change_needs_a_csrf_token(client, factory):
    user = factory.user()
    login(client, user)
    before = user.password_hash
    response = client.post(PAGE, data={"current_password": PASSWORD, "password": NEW})
    assert response.status_code == 400
    db.session.expire_all()
    assert user.password_hash == before


def test_the_password_changes_when_the_mail_server_is_down(app, client, factory, monkeypatch):
    user = factory.user(username="ada")
    login(client, user)
    with socket.socket() as closed:  # a loopback port with nobody listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    current = runtime.get()
    no_smtp = dataclasses.replace(current.mailer, server="127.0.0.1", port=port, use_tls=False)
    monkeypatch.setitem(app.extensions, "inkstand", dataclasses.replace(current, mailer=no_smtp))
    assert change(client).status_code == 302
    assert _opens("ada", NEW)


def test_wrong_current_passwords_spend_the_log_in_budget(app, client, factory, monkeypatch):
    user = factory.user(username="ada")
    login(client, user)
    # From one address, the account's budget at that address is the first spent.
    limits = app.config["LOGIN_LIMITS_PER_ACCOUNT_AND_ADDRESS"]
    tries = int(re.match(r"\d+", limits)[0])
    answers = [change(client, "not my password").status_code for _ in range(tries + 1)]
    assert answers[:tries] == [422] * tries
    assert answers[-1] == 429


def test_the_page_runs_a_fixed_number_of_queries(client, factory, queries):
    user = factory.user()
    login(client, user)
    queries.clear()
    assert client.get(PAGE).status_code == 200
    assert len(queries) <= 3, queries


def _reset_link(client, outbox, address: str) -> str:
    submit(client, "/password/forgot", {"email": address})
    found = re.search(
        r"http://inkstand.test(/password/reset/\S+)", outbox.messages()[-1].get_content()
    )
    assert found
    return found[1]


def test_the_reset_page_offers_to_revoke_tokens_checked_by_default(app, client, factory, outbox):
    user = factory.user(email="ada@example.com")
    doors = Doors(app, client, user)
    client.post(
        "/logout",
        data={
            "csrf_token": re.search(
                r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)
            )[1]
        },
    )
    link = _reset_link(client, outbox, "ada@example.com")
    page = client.get(link).get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*name="revoke_tokens"|'
        r'<input[^>]*name="revoke_tokens"[^>]*checked',
        page,
    )
    response = submit(client, link, {"password": NEW, "revoke_tokens": "y"}, page=link)
    assert response.status_code == 302
    assert doors.v1("GET", "/api/v1/me").status_code == 401
    assert doors.realworld("GET", "/api/user").status_code == 401
    assert "were revoked" in outbox.messages()[-1].get_content()


def test_a_reset_without_the_box_keeps_the_tokens(app, client, factory, outbox):
    user = factory.user(email="ada@example.com")
    doors = Doors(app, client, user)
    link = _reset_link(app.test_client(), outbox, "ada@example.com")
    assert submit(app.test_client(), link, {"password": NEW}, page=link).status_code == 302
    assert doors.v1("GET", "/api/v1/me").status_code == 200


def test_a_new_password_through_the_realworld_api_is_told_too(app, client, factory, outbox):
    user = factory.user(username="ada", email="ada@example.com")
    doors = Doors(app, client, user)
    assert doors.realworld("PUT", "/api/user", {"user": {"bio": "Writes."}}).status_code == 200
    assert outbox.messages() == []  # only a new password is told
    response = doors.realworld("PUT", "/api/user", {"user": {"password": NEW}})
    assert response.status_code == 200
    [notice] = outbox.messages()
    assert notice["To"] == "ada@example.com"
    assert "password was changed" in notice["Subject"]
