"""Account rules called directly, as every door (form or API) calls them."""

from __future__ import annotations

import pytest

from inkstand.accounts import services
from inkstand.accounts.models import Role
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from tests.helpers import change_account


def test_profile_text_is_stored_without_control_characters(factory):
    user = factory.user()
    change_account(user, display_name=" Ada\x00 L. ", bio="Line one\nline\x00 two\x07")
    db.session.expire_all()
    assert (user.display_name, user.bio) == ("Ada L.", "Line one\nline two")


@pytest.mark.parametrize(
    ("name", "bio", "field"),
    [
        ("x" * (services.DISPLAY_NAME_MAX + 1), "", "display_name"),
        ("", "x" * (services.BIO_MAX + 1), "bio"),
    ],
)
def test_profile_limits_hold_without_a_form(factory, name, bio, field):
    with pytest.raises(Invalid) as error:
        change_account(factory.user(), display_name=name, bio=bio)
    assert field in error.value.errors


@pytest.mark.parametrize(("given", "stored"), [(None, True), (False, False), (True, True)])
def test_comment_mails_change_only_when_asked(factory, given, stored):
    user = factory.user()
    assert user.notify_comments  # on for a new account
    change_account(user, display_name="Ada", notify_comments=given)
    db.session.expire_all()
    assert (user.display_name, user.notify_comments) == ("Ada", stored)


def test_registration_refuses_control_characters_in_a_username(factory):
    with pytest.raises(Invalid) as error:
        services.register(
            db.session, None, "ada\x00x", "ada@example.com", "a long password",  # type: ignore[arg-type]
            registration_open=True, new_account_role=Role.READER.value,
        )  # fmt: skip
    assert "username" in error.value.errors
