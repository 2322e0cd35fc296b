"""Accounts through HTTP: register, log in and out, reset a password, profile."""

from __future__ import annotations

import dataclasses
import re
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inkstand import runtime
from inkstand.accounts.models import Role, User
from inkstand.extensions import db
from tests.helpers import PASSWORD, csrf_token, login, read_mail, submit


def _users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


def register(client, username="ada", email="ada@example.com", password=PASSWORD):
    data = {"username": username, "email": email, "password": password}
    return submit(client, "/register", data, page="/register")


def test_first_account_is_admin_and_next_follow_the_site_setting(client, app):
    assert register(client).status_code == 302
    client.post("/logout", data={"csrf_token": _token(client)})
    assert register(client, "bob", "bob@example.com").status_code == 302
    roles = dict(db.session.execute(select(User.username, User.role)).all())
    assert roles == {"ada": Role.ADMIN, "bob": Role.READER}  # the default: readers


def _token(client) -> str:
    html = client.get("/settings").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html)[1]


def test_registering_logs_in(client):
    response = register(client)
    assert response.headers["Location"] == "/"
    assert "Log out" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short"}, "at least 10 characters"),
        ({"password": "ada-lovelace", "username": "ada-lovelace"}, "not your username"),
        ({"password": "ada@example.com"}, "not your username or e-mail"),
        ({"email": "not-an-address"}, "valid e-mail"),
        ({"username": "a b"}, "letters, digits"),
        ({"username": "x" * 31}, "Field cannot be longer than 30 characters"),
        ({"username": ""}, "This field is required"),
    ],
)
def test_register_rejects_bad_input_with_form_errors(client, fields, message):
    data = {"username": "ada", "email": "ada@example.com", "password": PASSWORD, **fields}
    response = submit(client, "/register", data, page="/register")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _users() == 0


def test_register_refuses_taken_username_case_insensitively(client, factory):
    factory.user(username="Ada", email="first@example.com")
    response = register(client, "ada", "second@example.com")
    assert response.status_code == 422
    assert "That username is taken." in response.get_data(as_text=True)


def test_registration_closed_refuses_new_accounts(client, factory):
    from inkstand.site import services as site

    admin = factory.user(Role.ADMIN)
    site.update(db.session, admin, registration_open=False)
    assert "Registration is closed" in client.get("/register").get_data(as_text=True)
    data = {"username": "newcomer", "email": "new@example.com", "password": PASSWORD}
    response = submit(client, "/register", data, page="/login")
    assert response.status_code == 403
    assert _users() == 1


@pytest.mark.parametrize("login_field", ["ada", "ADA@example.com", "Ada"])
def test_login_by_username_or_email(client, factory, login_field):
    factory.user(username="ada", email="ada@example.com")
    response = submit(client, "/login", {"login": login_field, "password": PASSWORD})
    assert response.status_code == 302


def test_login_failure_never_reveals_whether_the_account_exists(client, factory):
    factory.user(username="ada")
    wrong_password = submit(client, "/login", {"login": "ada", "password": "wrong password!"})
    no_account = submit(client, "/login", {"login": "nobody", "password": "wrong password!"})
    assert wrong_password.status_code == no_account.status_code == 422

    def message(response):
        return re.search(
            r'<div class="form-errors".*?</div>', response.get_data(as_text=True), re.S
        )[0]

    assert message(wrong_password) == message(no_account)
    assert "do not match" in message(no_account)


def test_login_redirects_only_to_local_paths(client, factory):
    user = factory.user()
    data = {"login": user.username, "password": PASSWORD}
    ok = submit(client, "/login?next=/write", data)
    assert ok.headers["Location"] == "/write"
    client.post("/logout", data={"csrf_token": _token(client)})
    for target in ["//evil.example/", "/%09/evil.example/", "/%0a/x", "/\\evil.example",
                   "https://evil.example/", "/%5Cevil.example"]:  # fmt: skip
        evil = submit(client, f"/login?next={target}", data)
        assert evil.status_code == 302, target
        assert evil.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": _token(client)})


def test_logout_is_a_post_and_ends_the_session(client, factory):
    user = factory.user()
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={"csrf_token": _token(client)}).status_code == 302
    assert client.get("/settings").status_code == 302


def test_remember_me_sets_a_lasting_cookie(client, factory):
    user = factory.user()
    response = submit(client, "/login", {"login": user.username, "password": PASSWORD,
                                         "remember": "y"})  # fmt: skip
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_failed_logins_are_rate_limited_per_account(client, factory):
    user = factory.user()
    statuses = [
        submit(client, "/login", {"login": user.username, "password": "wrong password"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429
    # The limit is per account: the right password for it is refused too, for now.
    blocked = submit(client, "/login", {"login": user.username, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_successful_logins_do_not_count_against_the_limit(client, factory):
    user = factory.user()
    for _ in range(8):
        assert login(client, user).status_code == 302


def test_login_rehashes_when_parameters_change(client, factory, app):
    user = factory.user()
    old_hash = user.password_hash
    original = runtime.get()
    from inkstand.accounts.passwords import Passwords

    app.extensions["inkstand"] = replace(
        original, passwords=Passwords(time_cost=2, memory_cost=2048)
    )
    try:
        login(client, user)
    finally:
        app.extensions["inkstand"] = original
    db.session.expire_all()
    new_hash = db.session.get(User, user.id).password_hash
    assert new_hash != old_hash
    assert "t=2" in new_hash
    assert "m=2048" in new_hash


def _outbox(app) -> list[Path]:
    return sorted((Path(app.instance_path) / "outbox").glob("*.eml"))


def _reset_link(app) -> str:
    message = read_mail(_outbox(app)[-1].read_bytes())
    text = message.get_content()
    return re.search(r"http://inkstand.test(/password/reset/\S+)", text)[1]


@pytest.fixture
def outbox(app):
    for path in _outbox(app):
        path.unlink()


def test_password_reset_by_mailed_link(client, factory, app, outbox):
    user = factory.user(email="ada@example.com")
    response = submit(client, "/password/forgot", {"email": "ADA@example.com"})
    assert response.status_code == 302
    link = _reset_link(app)
    page = client.get(link)
    assert page.status_code == 200
    changed = submit(client, link, {"password": "a brand new password"}, page=link)
    assert changed.status_code == 302
    assert (
        submit(client, "/login", {"login": user.username, "password": PASSWORD}).status_code == 422
    )
    ok = submit(client, "/login", {"login": user.username, "password": "a brand new password"})
    assert ok.status_code == 302


def test_reset_link_works_once(client, factory, app, outbox):
    factory.user(email="ada@example.com")
    submit(client, "/password/forgot", {"email": "ada@example.com"})
    link = _reset_link(app)
    assert submit(client, link, {"password": "a brand new password"}, page=link).status_code == 302
    again = client.get(link)
    assert again.status_code == 400
    assert "no longer works" in again.get_data(as_text=True)


def test_expired_reset_link_is_refused(client, factory, app, outbox, monkeypatch):
    factory.user(email="ada@example.com")
    submit(client, "/password/forgot", {"email": "ada@example.com"})
    link = _reset_link(app)
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3601)
    assert client.get(link).status_code == 400


def test_tampered_reset_link_is_refused(client, factory, app, outbox):
    factory.user(email="ada@example.com")
    submit(client, "/password/forgot", {"email": "ada@example.com"})
    link = _reset_link(app)
    assert client.get(link[:-3] + "xyz").status_code == 400
    assert client.get("/password/reset/garbage").status_code == 400


def test_reset_link_rejects_weak_new_password_with_form_error(client, factory, app, outbox):
    factory.user(email="ada@example.com")
    submit(client, "/password/forgot", {"email": "ada@example.com"})
    link = _reset_link(app)
    response = submit(client, link, {"password": "short"}, page=link)
    assert response.status_code == 422
    assert "at least 10 characters" in response.get_data(as_text=True)


def test_forgot_password_says_the_same_for_unknown_addresses(client, factory, app, outbox):
    factory.user(email="ada@example.com")
    known = submit(client, "/password/forgot", {"email": "ada@example.com"}, follow_redirects=True)
    unknown = submit(
        client, "/password/forgot", {"email": "who@example.com"}, follow_redirects=True
    )
    flash = re.compile(r'<p class="flash[^"]*">(.*?)</p>')
    assert flash.findall(known.get_data(as_text=True)) == flash.findall(
        unknown.get_data(as_text=True)
    )
    assert len(_outbox(app)) == 1


def test_profile_edits_show_on_the_author_page(client, factory):
    user = factory.user(username="ada")
    login(client, user)
    response = submit(client, "/settings", {"display_name": "Ada L.", "bio": "Writes."},
                      page="/settings")  # fmt: skip
    assert response.status_code == 302
    page = client.get("/authors/ada").get_data(as_text=True)
    assert "Ada L." in page
    assert "Writes." in page


def _notify_comments(user: User) -> bool:
    db.session.expire_all()
    return bool(db.session.scalar(select(User.notify_comments).where(User.id == user.id)))


_CHECKBOX = re.compile(r'<input[^>]*name="notify_comments"[^>]*>')


def test_comment_mails_are_turned_off_and_on_in_the_settings(client, factory):
    user = factory.user(username="ada")
    login(client, user)
    (box,) = _CHECKBOX.findall(client.get("/settings").get_data(as_text=True))
    assert 'type="checkbox"' in box
    assert "checked" in box  # on for a new account
    profile = {"display_name": "Ada", "bio": ""}
    off = submit(client, "/settings", profile, page="/settings")  # a browser omits it unticked
    assert off.status_code == 302
    assert not _notify_comments(user)
    (box,) = _CHECKBOX.findall(client.get("/settings").get_data(as_text=True))
    assert "checked" not in box
    on = submit(client, "/settings", {**profile, "notify_comments": "y"}, page="/settings")
    assert on.status_code == 302
    assert _notify_comments(user)


def test_the_comment_mail_setting_needs_a_csrf_token(client, factory):
    user = factory.user()
    login(client, user)
    refused = client.post("/settings", data={"display_name": "", "bio": ""})
    assert refused.status_code == 400
    assert _notify_comments(user)


def test_a_refused_profile_keeps_the_comment_mail_setting(client, factory):
    user = factory.user()
    login(client, user)
    response = submit(client, "/settings", {"display_name": "x" * 81, "bio": ""}, page="/settings")
    assert response.status_code == 422
    assert _notify_comments(user)


def test_profile_requires_login(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_reset_link_uses_the_configured_site_url_not_the_host_header(
    client, factory, app, outbox, monkeypatch
):
    monkeypatch.setitem(app.config, "SITE_URL", "https://blog.example.com/")
    factory.user(email="ada@example.com")
    submit(client, "/password/forgot", {"email": "ada@example.com"})
    message = read_mail(_outbox(app)[-1].read_bytes())
    assert "https://blog.example.com/password/reset/" in message.get_content()
    assert "inkstand.test" not in message.get_content()  # the request's host


def test_logging_in_starts_a_fresh_session(client, factory):
    user = factory.user()
    before = csrf_token(client)
    login(client, user)
    stale = client.post("/settings", data={"csrf_token": before, "display_name": "x", "bio": ""})
    assert stale.status_code == 400


def test_a_password_reset_ends_every_other_session(client, factory, app, outbox):
    user = factory.user(email="ada@example.com")
    other_device = app.test_client()
    submit(other_device, "/login", {"login": user.username, "password": PASSWORD, "remember": "y"})
    assert other_device.get("/settings").status_code == 200
    submit(client, "/password/forgot", {"email": "ada@example.com"})
    link = _reset_link(app)
    submit(client, link, {"password": "a brand new password"}, page=link)
    assert other_device.get("/settings").status_code == 302


def test_reset_request_answers_the_same_when_mail_cannot_be_sent(client, factory, app, monkeypatch):
    factory.user(email="ada@example.com")
    with socket.socket() as closed:  # a loopback port with nobody listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    current = runtime.get()
    no_smtp = dataclasses.replace(current.mailer, server="127.0.0.1", port=port, use_tls=False)
    monkeypatch.setitem(app.extensions, "inkstand", dataclasses.replace(current, mailer=no_smtp))
    known = submit(client, "/password/forgot", {"email": "ada@example.com"})
    unknown = submit(client, "/password/forgot", {"email": "who@example.com"})
    assert known.status_code == unknown.status_code == 302


def test_registration_is_rate_limited_per_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_LIMITS_PER_ADDRESS", "2 per hour")
    statuses = [register(client, f"user{n}", f"user{n}@example.com").status_code for n in range(3)]
    assert statuses[2] == 429


def test_a_time_zone_is_chosen_in_the_settings(client, factory):
    user = factory.user(username="zoned")
    login(client, user)
    page = client.get("/settings").get_data(as_text=True)
    assert '<option selected value="UTC">UTC</option>' in page  # the default
    assert '<option value="Europe/Paris">Europe/Paris</option>' in page
    profile = {"display_name": "", "bio": ""}
    chosen = submit(client, "/settings", {**profile, "time_zone": "Asia/Kolkata"}, page="/settings")
    assert chosen.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "Asia/Kolkata"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "", "utc", "x" * 100])
def test_a_time_zone_not_in_the_list_is_refused(client, factory, zone):
    user = factory.user()
    login(client, user)
    refused = submit(client, "/settings", {"time_zone": zone}, page="/settings")
    assert refused.status_code == 422
    assert "Choose a time zone from the list" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).time_zone == "UTC"
