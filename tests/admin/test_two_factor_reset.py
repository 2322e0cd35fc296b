"""An admin turns off the two-factor log-in of someone who lost her phone and her
recovery codes: her secret and codes go, she is mailed, and her password alone logs
her in. Only admins may, never on their own account."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from inkstand import runtime
from inkstand.accounts import administration
from inkstand.accounts.models import RecoveryCode, Role, User
from inkstand.exceptions import Forbidden
from inkstand.extensions import db
from tests.helpers import PASSWORD, Outbox, fresh, login, submit


def _reset(client, user_id: int):
    return submit(client, f"/admin/users/{user_id}/two-factor/reset", page="/admin/users")


def _with_two_factor(user: User) -> User:
    user.totp_secret = pyotp.random_base32()
    db.session.add(RecoveryCode(user_id=user.id, code_hash="0" * 64))
    db.session.commit()
    return user


def _codes(user_id: int) -> int:
    return fresh(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user_id))


def test_an_admin_turns_off_someones_two_factor_and_she_is_told(app, client, factory):
    outbox = Outbox(app)
    ada = _with_two_factor(factory.user(Role.AUTHOR, "ada"))
    login(client, factory.user(Role.ADMIN, "boss"))
    assert "Turn off two-factor" in client.get("/admin/users").get_data(as_text=True)

    done = _reset(client, ada.id)

    assert done.status_code == 302
    assert "is off for ada" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert fresh(select(User.totp_secret).where(User.id == ada.id)) is None
    assert _codes(ada.id) == 0
    [mail] = outbox.messages()
    assert mail["To"] == ada.email
    assert "boss" in mail.get_content()
    assert "turned off two-factor" in mail.get_content()
    client.post("/logout", data={})  # the admin leaves; ada logs in with her password alone
    other = app.test_client()
    answer = submit(other, "/login", {"login": "ada", "password": PASSWORD}, page="/login")
    assert answer.headers["Location"] != "/login/code"


def test_turning_off_what_is_not_on_says_so(client, factory):
    bea = factory.user(Role.AUTHOR, "bea")
    login(client, factory.user(Role.ADMIN, "boss"))
    assert "Turn off two-factor" not in client.get("/admin/users").get_data(as_text=True)
    done = _reset(client, bea.id)
    assert "bea does not use two-factor log-in" in client.get(done.headers["Location"]).get_data(
        as_text=True
    )


def test_an_admin_turns_off_her_own_on_her_settings_page_not_here(app, factory):
    boss = _with_two_factor(factory.user(Role.ADMIN, "boss"))
    factory.user(Role.ADMIN, "other")
    with pytest.raises(Forbidden, match="on your settings page"):
        administration.reset_two_factor(
            db.session, boss, boss.id, runtime.get().mailer, site_title="Inkstand"
        )
    assert _codes(boss.id) == 1


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_turn_off_someones_two_factor(client, factory, role):
    ada = _with_two_factor(factory.user(Role.AUTHOR, "ada"))
    login(client, factory.user(role, "someone"))
    assert _reset(client, ada.id).status_code == 403
    assert fresh(select(User.totp_secret).where(User.id == ada.id)) is not None
    assert _codes(ada.id) == 1


def test_a_visitor_is_sent_to_log_in_and_a_forged_form_is_refused(client, factory):
    ada = _with_two_factor(factory.user(Role.AUTHOR, "ada"))
    visitor = submit(client, f"/admin/users/{ada.id}/two-factor/reset", page="/login")
    assert visitor.status_code == 302
    assert "/login" in visitor.headers["Location"]
    login(client, factory.user(Role.ADMIN, "boss"))
    forged = client.post(f"/admin/users/{ada.id}/two-factor/reset", data={})
    assert forged.status_code == 400
    assert fresh(select(User.totp_secret).where(User.id == ada.id)) is not None
