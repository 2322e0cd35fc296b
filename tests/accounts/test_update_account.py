"""Changing one's own account (username, address, password, bio, picture), as
every door calls it; the RealWorld API's PUT /api/user is one."""

from __future__ import annotations

import pytest

from inkstand import runtime
from inkstand.accounts import services
from inkstand.accounts.services import AccountChanges
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from tests.helpers import PASSWORD


def _update(user, **changes):
    return services.update_account(
        db.session, runtime.get().passwords, user, AccountChanges(**changes)
    )


def test_nothing_sent_changes_nothing(factory):
    user = factory.user(username="ada", email="ada@example.com")
    before = (user.username, user.email, user.password_hash, user.bio, user.image_url)
    _update(user)
    assert (user.username, user.email, user.password_hash, user.bio, user.image_url) == before


def test_every_field_changes_and_text_is_cleaned(factory):
    user = factory.user(username="ada")
    _update(
        user, username=" ada_l ", email="ADA.L@Example.com", password="a brand new password",
        bio=" Writes\x00 things ", image_url=" https://img.example/ada.png ",
    )  # fmt: skip
    db.session.expire_all()
    assert (user.username, user.email, user.bio, user.image_url) == (
        "ada_l", "ada.l@example.com", "Writes things", "https://img.example/ada.png",
    )  # fmt: skip
    passwords = runtime.get().passwords
    assert services.authenticate(db.session, passwords, "ada_l", "a brand new password")
    assert not services.authenticate(db.session, passwords, "ada_l", PASSWORD)


def test_a_new_password_changes_the_fingerprint_that_ends_sessions(factory):
    user = factory.user()
    before = user.password_fingerprint
    _update(user, password="a brand new password")
    assert user.password_fingerprint != before


def test_ones_own_name_and_address_in_another_case_are_no_clash(factory):
    user = factory.user(username="ada", email="ada@example.com")
    _update(user, username="ADA", email="ada@example.com")
    assert user.username == "ADA"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "bea"}, "username"),
        ({"email": "bea@example.com"}, "email"),
        ({"username": "x"}, "username"),
        ({"email": "no address"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "ada@example.com"}, "password"),
        ({"bio": "x" * 2001}, "bio"),
        ({"image_url": "ftp://img.example/a.png"}, "image_url"),
        ({"image_url": "https://" + "x" * 500}, "image_url"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
    ],
)
def test_each_rule_holds_and_nothing_is_half_written(factory, changes, field):
    factory.user(username="bea", email="bea@example.com")
    user = factory.user(username="ada", email="ada@example.com")
    with pytest.raises(Invalid) as error:
        _update(user, **{"bio": "new bio", **changes})
    assert field in error.value.errors
    db.session.expire_all()
    assert (user.username, user.email, user.bio) == ("ada", "ada@example.com", "")
