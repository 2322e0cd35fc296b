"""Two-factor log-in: set up from the settings page with a QR code and the typed key,
confirmed by a code; ten recovery codes shown once; a log-in that waits for its code;
codes refused when wrong, replayed or guessed too often; turning it off; the site
setting that makes admins and editors use it; the APIs."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand import runtime
from inkstand.accounts.models import RecoveryCode, Role, User
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import (
    PASSWORD,
    Doors,
    Factory,
    assert_form_error,
    count_queries,
    csrf_token,
    submit,
)

ENROL = "/settings/two-factor"
SECRET = re.compile(r'<code class="secret" id="totp-secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</code></li>")


class Clock:
    """The app's clock, moved by the test: each code belongs to a 30-second step."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def step(self, steps: int = 1) -> None:
        self.now += timedelta(seconds=30 * steps)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(runtime, "utcnow", found)
    return found


def code_at(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def log_in(client: FlaskClient, user: User, password: str = PASSWORD):
    return submit(client, "/login", {"login": user.username, "password": password})


def type_code(client: FlaskClient, code: str):
    return submit(client, "/login/code", {"code": code}, page="/login")


def enrol(client: FlaskClient, clock: Clock) -> tuple[str, list[str]]:
    """Set up two-factor log-in as a person does: the key read from the page."""
    page = client.get(ENROL).get_data(as_text=True)
    found = SECRET.search(page)
    assert found, page
    secret = found[1].replace(" ", "")
    response = submit(client, ENROL, {"code": code_at(secret, clock)}, page=ENROL)
    assert response.status_code == 200, response.get_data(as_text=True)
    return secret, CODES.findall(response.get_data(as_text=True))


def account(user: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found


def logged_in(client: FlaskClient) -> bool:
    return client.get("/settings").status_code == 200


@pytest.fixture
def admin(factory: Factory) -> User:
    return factory.user(Role.ADMIN, username="admin")


@pytest.fixture
def ada(factory: Factory, admin: User) -> User:
    return factory.user(Role.READER, username="ada")


def enrolled(client: FlaskClient, user: User, clock: Clock) -> tuple[str, list[str]]:
    """``user`` with two-factor log-in on, logged out, the clock past the code she used."""
    assert log_in(client, user).status_code == 302
    secret, codes = enrol(client, clock)
    submit(client, "/logout", page="/settings")
    clock.step()
    return secret, codes


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN])
def test_every_role_enrols_and_then_logs_in_with_a_code(client, factory, admin, clock, role):
    user = factory.user(role, username="someone")
    log_in(client, user)
    page = client.get(ENROL)
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "<svg" in html
    assert 'class="segno"' in html
    secret, codes = enrol(client, clock)
    assert len(codes) == len(set(codes)) == 10
    assert account(user).two_factor
    stored = set(db.session.scalars(db.select(RecoveryCode.code_hash)))
    assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert secret not in client.get(ENROL).get_data(as_text=True)  # shown while setting up only
    submit(client, "/logout", page="/settings")
    clock.step()
    response = log_in(client, user)
    assert response.location == "/login/code"
    assert not logged_in(client)  # the password alone logs no one in
    assert "Your code" in client.get("/login/code").get_data(as_text=True)
    done = type_code(client, code_at(secret, clock))
    assert (done.status_code, done.location) == (302, "/")
    assert logged_in(client)


def test_a_wrong_code_does_not_enrol(client, ada, clock):
    log_in(client, ada)
    client.get(ENROL)
    response = submit(client, ENROL, {"code": "000000"}, page=ENROL)
    assert_form_error(response, "That code is not right")
    assert not account(ada).two_factor


def test_a_wrong_code_is_refused_at_log_in(client, ada, clock):
    enrolled(client, ada, clock)
    log_in(client, ada)
    for wrong in ("000000", "12345", "abcdef", "1234-5678-9abc-def0"):
        assert_form_error(type_code(client, wrong), "That code is not right")
    assert not logged_in(client)


def test_a_replayed_code_is_refused(app, client, ada, clock):
    secret, _ = enrolled(client, ada, clock)
    code = code_at(secret, clock)
    log_in(client, ada)
    assert type_code(client, code).status_code == 302
    other = app.test_client()
    log_in(other, ada)
    assert_form_error(type_code(other, code), "used already")
    assert not logged_in(other)
    # An older step's code (still inside the window) is refused too.
    assert_form_error(type_code(other, pyotp.TOTP(secret).at(clock.now - timedelta(seconds=30))),
                      "used already")  # fmt: skip
    clock.step()
    assert type_code(other, code_at(secret, clock)).status_code == 302


def test_a_recovery_code_works_once(app, client, ada, clock):
    _, codes = enrolled(client, ada, clock)
    log_in(client, ada)
    assert type_code(client, codes[0].upper().replace("-", " ")).status_code == 302
    other = app.test_client()
    log_in(other, ada)
    assert_form_error(type_code(other, codes[0]), "That code is not right")
    assert type_code(other, codes[1]).status_code == 302
    page = other.get(ENROL).get_data(as_text=True)
    assert "8 of your recovery codes are unused" in page


def test_guessing_codes_is_limited_per_account(app, client, ada, clock):
    secret, _ = enrolled(client, ada, clock)
    log_in(client, ada)
    statuses = [type_code(client, f"{n:06d}").status_code for n in range(6)]
    assert statuses == [422] * 5 + [429]  # TWO_FACTOR_LIMITS_PER_ACCOUNT: 5 a minute
    # ...from another address too: the budget is the account's.
    other = app.test_client()
    log_in(other, ada)
    late = submit(other, "/login/code", {"code": code_at(secret, clock)}, page="/login",
                  environ_base={"REMOTE_ADDR": "192.0.2.9"})  # fmt: skip
    assert late.status_code == 429


def test_the_wait_for_a_code_expires(app, client, ada, clock, monkeypatch):
    secret, _ = enrolled(client, ada, clock)
    log_in(client, ada)
    clock.now += timedelta(seconds=app.config["TWO_FACTOR_LOGIN_SECONDS"] + 1)
    response = type_code(client, code_at(secret, clock))
    assert response.location == "/login"
    assert not logged_in(client)
    assert client.get("/login/code").location == "/login"


def test_the_code_page_without_a_password_sends_to_log_in(client):
    assert client.get("/login/code").location == "/login"


def test_a_new_password_ends_a_log_in_waiting_for_its_code(client, ada, clock):
    secret, _ = enrolled(client, ada, clock)
    log_in(client, ada)
    ada = account(ada)
    ada.password_hash = runtime.get().passwords.hash("another long password")
    db.session.commit()
    assert type_code(client, code_at(secret, clock)).location == "/login"
    assert not logged_in(client)


def test_remember_me_and_the_next_page_survive_the_code(client, ada, clock):
    secret, _ = enrolled(client, ada, clock)
    data = {"login": "ada", "password": PASSWORD, "remember": "y"}
    submit(client, "/login?next=/settings/tokens", data)
    response = type_code(client, code_at(secret, clock))
    assert response.location == "/settings/tokens"
    assert "remember_token" in response.headers.get("Set-Cookie", "")


def test_turning_it_off_needs_the_password_and_a_code(client, ada, clock):
    secret, _ = enrolled(client, ada, clock)
    log_in(client, ada)
    type_code(client, code_at(secret, clock))
    clock.step()
    off = "/settings/two-factor/disable"
    code = code_at(secret, clock)
    wrong_password = submit(client, off, {"current_password": "nope", "code": code}, page=ENROL)
    assert_form_error(wrong_password, "not your current password")
    wrong_code = submit(client, off, {"current_password": PASSWORD, "code": "000000"}, page=ENROL)
    assert_form_error(wrong_code, "That code is not right")
    assert account(ada).two_factor
    done = submit(client, off, {"current_password": PASSWORD, "code": code_at(secret, clock)},
                  page=ENROL)  # fmt: skip
    assert done.location == "/settings"
    assert not account(ada).two_factor
    assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 0
    submit(client, "/logout", page="/settings")
    assert log_in(client, ada).location == "/"


def test_deleting_the_account_needs_a_code_too(client, ada, clock):
    secret, _ = enrolled(client, ada, clock)
    ada_id = ada.id
    log_in(client, ada)
    type_code(client, code_at(secret, clock))
    clock.step()
    delete = "/settings/delete"
    assert 'name="code"' in client.get(delete).get_data(as_text=True)
    fields = {"current_password": PASSWORD, "understood": "y"}
    no_code = submit(client, delete, fields, page=delete)
    assert_form_error(no_code, "Type the code from your authenticator app")
    wrong_code = submit(client, delete, {**fields, "code": "000000"}, page=delete)
    assert_form_error(wrong_code, "That code is not right")
    assert db.session.get(User, ada_id) is not None
    done = submit(client, delete, {**fields, "code": code_at(secret, clock)}, page=delete)
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, ada_id) is None


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_the_site_sends_admins_and_editors_to_enrol(client, factory, admin, clock, role):
    site.update(db.session, admin, two_factor_for_staff=True)
    user = factory.user(role, username="staff")
    log_in(client, user)
    for page in ("/", "/settings", "/posts/new", "/settings/tokens"):
        assert client.get(page).location == ENROL, page
    secret, _ = enrol(client, clock)
    assert client.get("/").status_code == 200
    clock.step()
    off = {"current_password": PASSWORD, "code": code_at(secret, clock)}
    refused = submit(client, "/settings/two-factor/disable", off, page=ENROL)
    assert refused.status_code == 403
    assert account(user).two_factor


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR])
def test_the_site_setting_leaves_others_free(client, factory, admin, role):
    site.update(db.session, admin, two_factor_for_staff=True)
    log_in(client, factory.user(role, username="free"))
    assert client.get("/").status_code == 200


def test_the_pages_need_a_log_in_and_a_csrf_token(client, ada, clock):
    assert client.get(ENROL).status_code == 302
    log_in(client, ada)
    assert client.post(ENROL, data={"code": "123456"}).status_code == 400
    assert client.post("/settings/two-factor/disable", data={"code": "1"}).status_code == 400


def test_the_pages_run_a_fixed_number_of_queries(client, ada, clock, queries):
    secret, _ = enrolled(client, ada, clock)
    log_in(client, ada)
    assert count_queries(client, queries, "/login/code") == 2  # the account, the settings
    type_code(client, code_at(secret, clock))
    # the account, the settings, the unused recovery codes
    assert count_queries(client, queries, ENROL) == 3


# The APIs: their tokens are a credential of their own; a RealWorld log-in needs the code.


def test_api_tokens_made_before_keep_working(app: Flask, client, ada, clock):
    doors = Doors(app, client, ada)
    enrol(client, clock)
    assert doors.v1("GET", "/api/v1/me").status_code == 200
    assert doors.realworld("GET", "/api/user").status_code == 200


def test_a_realworld_log_in_needs_the_code(client, ada, clock):
    secret, codes = enrolled(client, ada, clock)
    user = {"email": "ada@example.com", "password": PASSWORD}
    without = client.post("/api/users/login", json={"user": user})
    assert without.status_code == 422
    assert "two-factor" in without.get_json()["errors"]["code"][0]
    wrong = client.post("/api/users/login", json={"user": {**user, "code": "000000"}})
    assert wrong.status_code == 422
    bad_password = client.post("/api/users/login", json={"user": {**user, "password": "x" * 12}})
    assert bad_password.status_code == 401  # the code is asked only after the password
    right = client.post("/api/users/login", json={"user": {**user, "code": code_at(secret, clock)}})
    assert right.status_code == 200
    assert right.get_json()["user"]["token"]
    replay = client.post(
        "/api/users/login", json={"user": {**user, "code": code_at(secret, clock)}}
    )
    assert replay.status_code == 422
    recovered = client.post("/api/users/login", json={"user": {**user, "code": codes[0]}})
    assert recovered.status_code == 200


RENEW = "/settings/two-factor/recovery-codes"


def renew_codes(client: FlaskClient, password: str, code: str):
    token = csrf_token(client, ENROL)
    data = {"new-csrf_token": token, "new-current_password": password, "new-code": code}
    return client.post(RENEW, data=data)


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN])
def test_new_recovery_codes_replace_the_old_ones(app, client, factory, clock, role):
    person = factory.user(role)
    secret, old = enrolled(client, person, clock)
    log_in(client, person)
    assert type_code(client, code_at(secret, clock)).status_code == 302
    clock.step()
    response = renew_codes(client, PASSWORD, code_at(secret, clock))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Your old recovery codes no longer work" in response.get_data(as_text=True)
    new = CODES.findall(response.get_data(as_text=True))
    assert len(new) == 10
    assert not set(new) & set(old)
    other = app.test_client()
    log_in(other, person)
    assert_form_error(type_code(other, old[1]), "That code is not right")
    assert type_code(other, new[0]).status_code == 302


def test_new_recovery_codes_need_the_password_and_a_code(app, client, ada, clock):
    secret, old = enrolled(client, ada, clock)
    log_in(client, ada)
    assert type_code(client, code_at(secret, clock)).status_code == 302
    clock.step()
    wrong_password = renew_codes(client, "not the password", code_at(secret, clock))
    assert wrong_password.status_code == 422
    assert "That is not your current password" in wrong_password.get_data(as_text=True)
    wrong_code = renew_codes(client, PASSWORD, "000000")
    assert wrong_code.status_code == 422
    assert "That code is not right" in wrong_code.get_data(as_text=True)
    # Nothing changed: the old codes still work, and one of them proves it is her.
    assert renew_codes(client, PASSWORD, old[0]).status_code == 200
    assert client.post(RENEW, data={}).status_code == 400  # no CSRF token


def test_new_recovery_codes_need_two_factor_on(client, ada):
    log_in(client, ada)
    assert renew_codes(client, PASSWORD, "000000").location == ENROL
