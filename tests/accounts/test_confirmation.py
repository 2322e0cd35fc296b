"""Confirming the address given at registration: the register page says the same for a
new and a known address (the owner of a known one is mailed instead), a signed link
confirms it once, and an account not confirmed cannot comment through any door where
the site requires it."""

from __future__ import annotations

import re

import itsdangerous.timed
import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand.accounts.models import EmailConfirmation, Role, User
from inkstand.comments.services import CONFIRM_FIRST
from inkstand.extensions import db
from inkstand.site import services as site
from tests.api.realworld.calls import registration_at_once
from tests.helpers import (
    PASSWORD,
    Doors,
    Factory,
    Mail,
    Outbox,
    assert_form_error,
    comment_form,
    count_queries,
    errors_on,
    form_values,
    login,
    smtp_server,
    submit,
)

LINK = re.compile(r"http://inkstand\.test(/confirm/[^\s/]+)")
SENT = "Check your mail"


@pytest.fixture
def outbox(app: Flask) -> Outbox:
    return Outbox(app)


@pytest.fixture
def admin(factory: Factory) -> User:
    return factory.user(Role.ADMIN, username="admin")  # the first account


def register(client: FlaskClient, username: str = "ada", email: str = "ada@example.com"):
    data = {"username": username, "email": email, "password": PASSWORD}
    return submit(client, "/register", data, page="/register")


def link_in(mail: Mail) -> str:
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    return found[1]


def confirm(client: FlaskClient, link: str):
    return submit(client, link, page="/login")


def account(username: str) -> User:
    db.session.expire_all()
    user = db.session.scalar(db.select(User).where(User.username == username))
    assert user is not None
    return user


def test_a_new_and_a_known_address_get_the_same_answer(client, admin, factory, outbox):
    factory.user(username="owner", email="owner@example.com")
    new = register(client, "ada", "ada@example.com")
    known = register(client, "bea", "owner@example.com")
    assert (new.status_code, new.location) == (known.status_code, known.location)
    assert new.location == "/register/sent"
    page = client.get(new.location).get_data(as_text=True)
    assert SENT in page
    assert "owner@example.com" not in page
    assert client.get("/settings").status_code == 302  # not logged in either way
    to_new, to_owner = outbox.messages()
    assert to_new["To"] == "ada@example.com"
    assert LINK.search(to_new.get_content())
    assert to_owner["To"] == "owner@example.com"
    assert "Someone tried to register" in to_owner["Subject"]
    assert "http://inkstand.test/login" in to_owner.get_content()
    assert "http://inkstand.test/password/forgot" in to_owner.get_content()
    assert not LINK.search(to_owner.get_content())
    assert db.session.scalar(db.select(db.func.count(User.id))) == 3  # no account for bea


def test_a_taken_username_is_still_said_to_be_taken(client, admin, factory, outbox):
    factory.user(username="ada")
    assert_form_error(register(client, "ADA", "new@example.com"), "That username is taken.")
    assert outbox.messages() == []


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR])
def test_the_link_confirms_the_address_once(client, admin, outbox, role):
    site.update(db.session, admin, new_account_role=role.value)
    register(client)
    assert not account("ada").email_confirmed
    link = link_in(outbox.messages()[0])
    # A visitor (registering does not log in here) sees whose address it is.
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Confirm my address" in html
    assert "<strong>ada@example.com</strong> is the address of" in html
    assert "the account <strong>ada</strong>" in html
    assert not account("ada").email_confirmed  # opening the link changes nothing
    response = confirm(client, link)
    assert (response.status_code, response.location) == (302, "/login")
    assert account("ada").email_confirmed
    used = confirm(client, link)
    assert used.status_code == 400
    assert "used already" in used.get_data(as_text=True)


def test_an_expired_link_gets_a_clear_page(app, client, admin, outbox, monkeypatch):
    register(client)
    link = link_in(outbox.messages()[0])
    late = itsdangerous.timed.time.time() + app.config["EMAIL_CONFIRM_MAX_AGE"] + 1
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: late)
    response = client.get(link)
    assert response.status_code == 400
    assert "has expired" in response.get_data(as_text=True)
    assert confirm(client, link).status_code == 400
    assert not account("ada").email_confirmed


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"),
        lambda link: link[: len(link) // 2],
    ],
)
def test_an_altered_link_gets_a_clear_page(client, admin, outbox, tamper):
    register(client)
    response = client.get(tamper(link_in(outbox.messages()[0])))
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert not account("ada").email_confirmed


def test_an_address_change_link_does_not_confirm_a_registration(app, client, admin, outbox):
    register(client)
    user = account("ada")
    user.email_change_nonce = user.email_confirm_nonce
    db.session.commit()
    token = link_in(outbox.messages()[0]).rsplit("/", 1)[1]
    assert client.get(f"/settings/email/confirm/{token}").status_code == 400


def test_a_new_link_replaces_the_older_and_asking_is_limited(client, admin, outbox):
    register(client)
    older = link_in(outbox.messages()[0])
    login(client, account("ada"))
    assert "is not confirmed yet" in client.get("/settings").get_data(as_text=True)
    statuses = [submit(client, "/confirm/resend", page="/settings").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]  # CONFIRMATION_MAIL_LIMITS_PER_ACCOUNT: 3 an hour
    newest = link_in(outbox.messages()[-1])
    assert "newer one replaced it" in client.get(older).get_data(as_text=True)
    assert confirm(client, newest).status_code == 302
    assert account("ada").email_confirmed
    assert "is not confirmed yet" not in client.get("/settings").get_data(as_text=True)


def test_a_confirmed_account_asking_again_is_told_so(client, factory, admin, outbox):
    login(client, factory.user(username="done"))
    response = submit(client, "/confirm/resend", page="/settings", follow_redirects=True)
    assert "confirmed already" in response.get_data(as_text=True)
    assert outbox.messages() == []


def test_resending_needs_a_log_in_and_a_csrf_token(client, factory, admin):
    assert client.post("/confirm/resend").status_code in {302, 400}
    login(client, factory.user(username="ada", confirmed=False))
    assert client.post("/confirm/resend").status_code == 400


def test_the_very_first_account_is_confirmed_and_logged_in(client, outbox):
    response = register(client, "owner", "owner@example.com")
    assert response.location == "/"
    assert account("owner").email_confirmed
    assert account("owner").role == Role.ADMIN
    assert outbox.messages() == []


def test_without_confirmation_registering_logs_in_and_a_taken_address_is_said(
    client, admin, factory, outbox
):
    site.update(db.session, admin, email_confirmation=EmailConfirmation.OFF.value)
    factory.user(username="owner", email="owner@example.com")
    assert register(client).location == "/"
    assert client.get("/settings").status_code == 200
    other = register(FlaskClient(client.application), "bea", "owner@example.com")
    assert_form_error(other, "That e-mail address is already registered.")


def test_mail_goes_through_smtp_with_both_parts_and_the_link_works(app, client, admin):
    with smtp_server(app) as inbox:
        register(client)
        register(client, "bea", "ada@example.com")
    welcome, attempt = inbox.mails()
    for mail in (welcome, attempt):
        assert re.fullmatch(r"<[^@>]+@localhost>", mail["Message-ID"])
        assert mail["Date"].datetime is not None
        assert mail.get_body(("plain",)) is not None
        assert mail.get_body(("html",)) is not None
    html = welcome.get_body(("html",)).get_content()
    link = link_in(welcome)
    assert f'<a href="http://inkstand.test{link}">' in html
    assert welcome["Message-ID"] != attempt["Message-ID"]
    assert confirm(client, link).status_code == 302
    assert account("ada").email_confirmed


# Commenting: every door refuses an account that must confirm its address first.


@pytest.fixture
def post(factory: Factory, admin: User):
    writer = factory.user(Role.AUTHOR, username="writer")
    site.update(db.session, admin, comment_policy="open")
    return factory.post(writer, "A post to talk about")


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN])
def test_an_unconfirmed_account_cannot_comment_through_any_door(app, client, factory, post, role):
    user = factory.user(role, username="newcomer", confirmed=False)
    doors = Doors(app, client, user)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Confirm your e-mail address to comment" in page
    assert 'class="stack comment-form"' not in page
    assert "/confirm/resend" in page
    site_form = submit(client, f"/posts/{post.id}/comments", {"body": "Hello"}, page="/settings")
    assert site_form.status_code == 403
    assert "Confirm your e-mail address" in site_form.get_data(as_text=True)
    v1 = doors.v1("POST", f"/api/v1/posts/{post.id}/comments", {"body": "Hello"})
    assert v1.status_code == 403
    assert v1.get_json()["detail"] == CONFIRM_FIRST
    realworld = doors.realworld("POST", f"/api/articles/{post.slug}/comments",
                                {"comment": {"body": "Hello"}})  # fmt: skip
    assert realworld.status_code == 403
    assert realworld.get_json()["errors"]["body"] == [CONFIRM_FIRST]
    assert post.comment_count == 0


def test_a_confirmed_account_comments(app, client, factory, post, outbox):
    register(client, "newcomer", "newcomer@example.com")
    confirm(client, link_in(outbox.messages()[0]))
    login(client, account("newcomer"))
    page = f"/posts/{post.slug}"
    assert "Confirm your e-mail address" not in client.get(page).get_data(as_text=True)
    response = client.post(
        f"/posts/{post.id}/comments", data={**form_values_of_comment(client, page), "body": "Hi"}
    )
    assert response.status_code == 302, errors_on(response)


def form_values_of_comment(client: FlaskClient, page: str) -> dict[str, str]:
    _, hidden = comment_form(client.get(page).get_data(as_text=True))
    return hidden


def test_without_the_requirement_an_unconfirmed_account_comments(app, client, factory, post, admin):
    site.update(db.session, admin, email_confirmation=EmailConfirmation.OFF.value)
    user = factory.user(username="newcomer", confirmed=False)
    doors = Doors(app, client, user)
    response = doors.v1("POST", f"/api/v1/posts/{post.id}/comments", {"body": "Hello"})
    assert response.status_code == 201


def test_the_realworld_api_registers_only_without_confirmation(app, client, admin):
    new = {"user": {"username": "jake", "email": "jake@example.com", "password": PASSWORD}}
    refused = client.post("/api/users", json=new)
    assert refused.status_code == 403
    assert "http://inkstand.test/register" in refused.get_json()["errors"]["body"][0]
    registration_at_once(app)
    assert client.post("/api/users", json=new).status_code == 201
    assert not account("jake").email_confirmed


def test_an_address_changed_through_the_api_is_no_longer_confirmed(app, client, factory, admin):
    registration_at_once(app)
    user = factory.user(username="jake")
    doors = Doors(app, client, user)
    response = doors.realworld("PUT", "/api/user", {"user": {"email": "jake2@example.com"}})
    assert response.status_code == 200
    assert not account("jake").email_confirmed


# The site settings.


def test_an_admin_sets_the_requirements_on_the_settings_page(client, admin):
    login(client, admin)
    values = form_values(client, "/admin/settings")
    assert values["email_confirmation"] == "required"
    bad = client.post("/admin/settings", data={**values, "email_confirmation": "maybe"})
    assert bad.status_code == 422
    changed = {**values, "email_confirmation": "off", "two_factor_for_staff": "y"}
    assert client.post("/admin/settings", data=changed).status_code == 302
    stored = site.load(db.session)
    assert (stored.email_confirmation, stored.two_factor_for_staff) == ("off", True)
    # ...which sends this admin, who has no two-factor log-in, to set it up first.
    assert client.get("/admin/settings").location == "/settings/two-factor"


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_change_them(client, factory, admin, role):
    login(client, factory.user(role))
    assert client.get("/admin/settings").status_code == 403


def test_the_pages_run_a_fixed_number_of_queries(client, admin, outbox, queries):
    register(client)
    link = link_in(outbox.messages()[0])
    assert count_queries(client, queries, "/register/sent") == 1  # the site settings
    assert count_queries(client, queries, link) == 2  # the account, the site settings
