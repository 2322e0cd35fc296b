"""Suspending an account: it cannot log in through any door, its open session, API
tokens and RealWorld tokens stop at once, its content stays, and lifting the
suspension gives it all back. Only admins suspend, never themselves or the last admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inkstand.accounts import administration
from inkstand.accounts.models import Role, User
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden
from inkstand.extensions import db
from tests.helpers import PASSWORD, Doors, fresh, login, submit


def _suspend(client, user_id: int):
    return submit(client, f"/admin/users/{user_id}/suspend", page="/admin/users")


def _unsuspend(client, user_id: int):
    return submit(client, f"/admin/users/{user_id}/unsuspend", page="/admin/users")


def test_a_suspended_account_is_refused_at_every_door_and_comes_back(app, client, factory):
    admin = factory.user(Role.ADMIN, "boss")
    ada = factory.user(Role.AUTHOR, "ada")
    post = factory.post(ada, "Still here")
    doors = Doors(app, app.test_client(), ada)
    assert doors.client.get("/settings").status_code == 200
    login(client, admin)

    response = _suspend(client, ada.id)

    assert response.status_code == 302
    assert "Suspended" in client.get(response.headers["Location"]).get_data(as_text=True)
    # The open session, the API token and the RealWorld token: refused at once.
    assert doors.client.get("/settings").status_code == 302
    assert doors.v1("GET", "/api/v1/me").status_code == 401
    assert doors.realworld("GET", "/api/user").status_code == 401
    # No door lets her log in again, even with the right password.
    stranger = app.test_client()
    page = submit(stranger, "/login", {"login": "ada", "password": PASSWORD})
    assert page.status_code == 403
    assert "suspended" in page.get_data(as_text=True)
    body = {"user": {"email": "ada@example.com", "password": PASSWORD}}
    assert stranger.post("/api/users/login", json=body).status_code == 403
    # Her content stays.
    assert client.get(f"/posts/{post.slug}").status_code == 200

    assert _unsuspend(client, ada.id).status_code == 302

    assert doors.v1("GET", "/api/v1/me").status_code == 200
    assert doors.realworld("GET", "/api/user").status_code == 200
    assert submit(stranger, "/login", {"login": "ada", "password": PASSWORD}).status_code == 302


def test_a_wrong_password_for_a_suspended_account_says_nothing_of_it(app, client, factory):
    factory.user(Role.ADMIN, "boss")
    ada = factory.user(Role.AUTHOR, "ada")
    ada.suspended_at = utcnow()
    db.session.commit()
    page = submit(client, "/login", {"login": "ada", "password": "not the password"})
    assert page.status_code == 422
    assert "suspended" not in page.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_suspend_unsuspend_or_delete(client, factory, role):
    factory.user(Role.ADMIN, "boss")
    target = factory.user(Role.AUTHOR, "target")
    login(client, factory.user(role, "someone"))
    assert _suspend(client, target.id).status_code == 403
    assert _unsuspend(client, target.id).status_code == 403
    assert client.get(f"/admin/users/{target.id}/delete").status_code == 403
    assert submit(client, f"/admin/users/{target.id}/delete", {"heir": ""},
                  page="/settings").status_code == 403  # fmt: skip
    assert client.get("/admin/users").status_code == 403
    assert fresh(select(User.suspended_at).where(User.id == target.id)) is None


def test_a_visitor_is_sent_to_log_in(client, factory):
    target = factory.user(Role.AUTHOR, "target")
    response = submit(client, f"/admin/users/{target.id}/suspend")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_admin_cannot_suspend_herself_or_the_last_admin(app, client, factory):
    boss = factory.user(Role.ADMIN, "boss")
    login(client, boss)
    assert _suspend(client, boss.id).status_code == 403
    other = factory.user(Role.ADMIN, "other")
    # Two admins: "other" can go, and then "boss" is the last one that can act.
    assert _suspend(client, other.id).status_code == 302
    with pytest.raises(Forbidden):
        administration.suspend(db.session, fresh(select(User).where(User.id == other.id)),
                               boss.id, utcnow())  # fmt: skip


def test_suspending_no_such_account_is_404_and_a_bad_form_400(client, factory):
    login(client, factory.user(Role.ADMIN, "boss"))
    assert _suspend(client, 999_999).status_code == 404
    target = factory.user(Role.AUTHOR, "target")
    assert client.post(f"/admin/users/{target.id}/suspend").status_code == 400  # no CSRF token
    assert fresh(select(User.suspended_at).where(User.id == target.id)) is None


def test_a_remembered_log_in_of_a_suspended_account_opens_nothing(app, client, factory):
    admin = factory.user(Role.ADMIN, "boss")
    ada = factory.user(Role.AUTHOR, "ada")
    browser = app.test_client()
    submit(browser, "/login", {"login": "ada", "password": PASSWORD, "remember": "y"})
    browser.delete_cookie("session")  # the browser was closed: only "remember me" is left
    assert browser.get("/settings").status_code == 200
    login(client, admin)
    _suspend(client, ada.id)
    browser.delete_cookie("session")
    assert browser.get("/settings").status_code == 302
