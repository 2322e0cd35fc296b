"""Inviting a person by e-mail with a role: the mailed link lets her choose a username
and password and makes the account with that role, once, before it expires; an
altered, reused, expired or withdrawn link makes nothing."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from inkstand import runtime
from inkstand.accounts.models import Invitation, Role, User
from inkstand.extensions import db
from tests.helpers import (
    Outbox,
    assert_form_error,
    fresh,
    login,
    stored,
    submit,
)

INVITE = "/admin/users/invite"


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(app)


def _invite(client, email="new@example.org", role="editor"):
    return submit(client, INVITE, {"email": email, "role": role}, page=INVITE)


def _link(outbox: Outbox) -> str:
    (message,) = outbox.messages()
    found = re.search(r"http://inkstand\.test(/invitations/\S+)", message.get_content())
    assert found, message.get_content()
    return found[1]


GOOD = "a good long password"


def _accept(client, link, username="newcomer", password=GOOD, page=None):
    form = {"username": username, "password": password}
    return submit(client, link, form, page=page or link)


def test_an_invitation_makes_an_account_with_its_role_once(app, client, factory, outbox):
    login(client, factory.user(Role.ADMIN, "boss"))
    assert _invite(client).status_code == 302
    (message,) = outbox.messages()
    assert message["To"] == "new@example.org"
    link = _link(outbox)
    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)
    assert "an editor" in page
    assert "new@example.org" in page

    assert _accept(visitor, link).status_code == 302

    user = fresh(select(User).where(User.username == "newcomer"))
    assert (user.email, user.role) == ("new@example.org", "editor")
    assert visitor.get("/settings").status_code == 200  # logged in
    assert fresh(select(func.count(Invitation.id))) == 0
    # The link is spent.
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "used already" in again.get_data(as_text=True)
    assert _accept(app.test_client(), link, "twice", page="/login").status_code == 400


def test_an_altered_link_makes_nothing(app, client, factory, outbox):
    login(client, factory.user(Role.ADMIN, "boss"))
    _invite(client)
    link = _link(outbox)
    token = link.rsplit("/", 1)[1]
    forged = URLSafeTimedSerializer("not the key", salt="inkstand.invitation").dumps(
        {"i": 1, "n": "x"}
    )
    # The signature's last character may carry padding bits: alter one before it.
    altered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    for bad in (token[:-3], altered, forged, "x"):
        response = app.test_client().get(f"/invitations/{bad}")
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert fresh(select(func.count(User.id))) == 1


def test_an_expired_link_makes_nothing(app, client, factory, outbox, monkeypatch):
    login(client, factory.user(Role.ADMIN, "boss"))
    _invite(client)
    link = _link(outbox)
    later = time.time() + runtime.get().invite_links.max_age + 5
    monkeypatch.setattr(time, "time", lambda: later)
    before = stored()
    response = _accept(app.test_client(), link, page="/login")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert stored() == before


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("boss", "a good long password", "That username is taken."),
        ("BOSS", "a good long password", "That username is taken."),
        ("no spaces", "a good long password", "Use 3 to 30 letters"),
        ("ok_name", "short", "Use at least 10 characters."),
        ("ok_name", "ok_name", "Use at least 10 characters."),
        ("", "a good long password", "This field is required."),
    ],
)
def test_bad_choices_are_form_errors(app, client, factory, outbox, username, password, message):
    login(client, factory.user(Role.ADMIN, "boss"))
    _invite(client)
    link = _link(outbox)
    visitor = app.test_client()
    assert_form_error(_accept(visitor, link, username, password), message)
    assert fresh(select(func.count(User.id))) == 1
    assert fresh(select(func.count(Invitation.id))) == 1  # still usable


@pytest.mark.parametrize(
    ("email", "role", "message"),
    [
        ("not an address", "author", "Enter a valid e-mail address."),
        ("boss@example.com", "author", "An account uses that address already."),
        ("new@example.org", "emperor", "Not a valid choice."),
        ("", "author", "This field is required."),
    ],
)
def test_bad_invitations_are_form_errors(client, factory, outbox, email, role, message):
    login(client, factory.user(Role.ADMIN, "boss"))
    assert_form_error(_invite(client, email, role), message)
    assert outbox.messages() == []


def test_an_address_registered_meanwhile_spends_the_link(app, client, factory, outbox):
    login(client, factory.user(Role.ADMIN, "boss"))
    _invite(client)
    link = _link(outbox)
    factory.user(Role.READER, "quick", email="new@example.org")
    response = _accept(app.test_client(), link, page="/login")
    assert response.status_code == 400
    assert "log in instead" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_invite(client, factory, outbox, role):
    factory.user(Role.ADMIN, "boss")
    login(client, factory.user(role, "someone"))
    assert client.get(INVITE).status_code == 403
    assert submit(client, INVITE, {"email": "x@example.org", "role": "admin"}).status_code == 403
    assert outbox.messages() == []
    assert fresh(select(func.count(Invitation.id))) == 0


def test_the_invitation_page_for_a_logged_in_person_still_makes_a_new_account(
    app, client, factory, outbox
):
    """Accepting starts a fresh session for the new account."""
    login(client, factory.user(Role.ADMIN, "boss"))
    _invite(client, role="reader")
    link = _link(outbox)
    assert _accept(client, link).status_code == 302
    page = client.get("/settings").get_data(as_text=True)
    assert 'value="newcomer"' in page
    assert db.session.scalar(select(User.role).where(User.username == "newcomer")) == "reader"


def test_the_users_page_lists_pending_invitations_and_withdraws_one(app, client, factory, outbox):
    boss = factory.user(Role.ADMIN, "boss")
    login(client, boss)
    _invite(client, "first@example.org", "author")
    _invite(client, "second@example.org", "editor")
    first_link = re.findall(r"http://inkstand\.test(/invitations/\S+)",
                            outbox.messages()[0].get_content())[0]  # fmt: skip
    page = client.get("/admin/users").get_data(as_text=True)
    listed = page[page.index('id="invitations"') :]
    assert listed.index("second@example.org") < listed.index("first@example.org")
    assert "as author" in listed
    assert "as editor" in listed
    assert "by boss" in listed
    assert "expires" in listed
    first = fresh(select(Invitation).where(Invitation.email == "first@example.org"))

    response = submit(client, f"/admin/invitations/{first.id}/revoke", page="/admin/users")
    assert response.status_code == 302
    after = client.get("/admin/users").get_data(as_text=True)
    assert "first@example.org" not in after[after.index('id="invitations"') :]
    refused = app.test_client().get(first_link)
    assert refused.status_code == 400
    assert "used already, or withdrawn" in refused.get_data(as_text=True)
    again = submit(client, f"/admin/invitations/{first.id}/revoke", page="/admin/users")
    assert again.status_code == 404
    assert client.post(f"/admin/invitations/{first.id}/revoke").status_code == 400  # no CSRF


def test_an_expired_invitation_is_listed_as_expired(app, client, factory, outbox):
    login(client, factory.user(Role.ADMIN, "boss"))
    _invite(client, "late@example.org")
    invitation = db.session.scalar(select(Invitation))
    invitation.created_at -= timedelta(seconds=app.config["INVITATION_MAX_AGE"] + 1)
    db.session.commit()
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Expired" in page[page.index('id="invitations"') :]


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_see_or_withdraw_invitations(client, factory, outbox, role):
    boss = factory.user(Role.ADMIN, "boss")
    login(client, boss)
    _invite(client, "wanted@example.org")
    invitation = fresh(select(Invitation))
    submit(client, "/logout", page="/settings")
    login(client, factory.user(role))
    assert client.get("/admin/users").status_code == 403
    refused = submit(client, f"/admin/invitations/{invitation.id}/revoke", page="/settings")
    assert refused.status_code == 403
    assert fresh(select(func.count(Invitation.id))) == 1
