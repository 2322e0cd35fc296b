"""Changing one's own account (username, address, password, display name, bio,
picture, comment mails), as every door calls it: the settings page, the native
API's PATCH /api/v1/me and the RealWorld API's PUT /api/user."""

from __future__ import annotations

import html
import re

import pytest

from inkstand import runtime
from inkstand.accounts import services
from inkstand.accounts.services import BIO_MAX
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from tests.helpers import PASSWORD, Doors, change_account


def test_nothing_sent_changes_nothing(factory):
    user = factory.user(username="ada", email="ada@example.com")
    before = (user.username, user.email, user.password_hash, user.bio, user.image_url)
    change_account(user)
    assert (user.username, user.email, user.password_hash, user.bio, user.image_url) == before


def test_every_field_changes_and_text_is_cleaned(factory):
    user = factory.user(username="ada")
    change_account(
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
    change_account(user, password="a brand new password")
    assert user.password_fingerprint != before


def test_ones_own_name_and_address_in_another_case_are_no_clash(factory):
    user = factory.user(username="ada", email="ada@example.com")
    change_account(user, username="ADA", email="ada@example.com")
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
        ({"bio": "x" * (BIO_MAX + 1)}, "bio"),
        ({"image_url": "ftp://img.example/a.png"}, "image_url"),
        ({"image_url": "https://" + "x" * 500}, "image_url"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
    ],
)
def test_each_rule_holds_and_nothing_is_half_written(factory, changes, field):
    factory.user(username="bea", email="bea@example.com")
    user = factory.user(username="ada", email="ada@example.com")
    with pytest.raises(Invalid) as error:
        change_account(user, **{"bio": "new bio", **changes})
    assert field in error.value.errors
    db.session.expire_all()
    assert (user.username, user.email, user.bio) == ("ada", "ada@example.com", "")


def _refusal(doors: Doors, door: str, field: str, value: str) -> list[str]:
    """The messages one door shows for ``field`` when ``value`` is sent for it."""
    if door == "settings":
        response = doors.form("/settings", **{field: value})
        assert response.status_code == 422
        page = html.unescape(response.get_data(as_text=True))
        return [m for m in re.findall(r'<p class="error">([^<]+)</p>', page) if "correct" not in m]
    if door == "v1":
        response = doors.v1("PATCH", "/api/v1/me", {field: value})
        sent = field
    else:
        sent = {"image_url": "image"}.get(field, field)  # the specification's name
        response = doors.realworld("PUT", "/api/user", {"user": {sent: value}})
    assert response.status_code == 422, response.get_json()
    messages: list[str] = response.get_json()["errors"][sent]
    return messages


@pytest.mark.parametrize(
    ("field", "value", "doors"),
    [
        ("bio", "x" * (services.BIO_MAX + 1), ["settings", "v1", "realworld"]),
        ("display_name", "x" * (services.DISPLAY_NAME_MAX + 1), ["settings", "v1"]),
        ("username", "x", ["settings", "v1", "realworld"]),
        ("username", "bea", ["settings", "v1", "realworld"]),
        ("image_url", "javascript:alert(1)", ["v1", "realworld"]),
    ],
)
def test_every_door_refuses_with_the_services_own_message(
    app, client, factory, field, value, doors
):
    factory.user(username="bea")
    user = factory.user(username="ada")
    with pytest.raises(Invalid) as refused:
        change_account(user, **{field: value})
    ways_in = Doors(app, client, user)
    for door in doors:
        assert _refusal(ways_in, door, field, value) == refused.value.errors[field], door
    db.session.expire_all()
    assert (user.username, user.bio, user.display_name) == ("ada", "", "")


def test_the_settings_page_and_the_native_api_change_the_same_fields(app, client, factory):
    user = factory.user()
    doors = Doors(app, client, user)
    assert doors.form("/settings", display_name=" Ada\x00 L. ", bio="Writes.").status_code == 302
    db.session.expire_all()
    assert (user.display_name, user.bio) == ("Ada L.", "Writes.")
    response = doors.v1("PATCH", "/api/v1/me", {"bio": "Writes more."})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["display_name"], response.get_json()["bio"]) == (
        "Ada L.", "Writes more.",
    )  # fmt: skip
