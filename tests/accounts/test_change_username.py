"""Changing one's username: the old author page redirects (301) to the new one, as an
old post slug does, until another account takes the old name, which replaces the
redirect. The site's rule: an old name is free for anyone at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.accounts.models import Role, User, UsernameRedirect
from inkstand.extensions import db
from tests.helpers import PASSWORD, Doors, errors_on, form_values, login, submit


def rename(client, username: str):
    """Send the settings form as shown, with a new username typed in."""
    data = {**form_values(client, "/settings"), "username": username}
    return client.post("/settings", data=data)


def redirects() -> dict[str, int]:
    rows = db.session.execute(select(UsernameRedirect.username, UsernameRedirect.user_id))
    return {row.username: row.user_id for row in rows}


@pytest.fixture
def ada(factory) -> User:
    factory.user(username="first")  # the first account is always admin
    return factory.user(username="ada", email="ada@example.com")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.AUTHOR, Role.READER])
def test_every_role_renames_and_the_old_page_redirects(client, factory, ada, role):
    ada.role = role.value
    db.session.commit()
    login(client, ada)
    assert rename(client, "ada_l").status_code == 302
    db.session.expire_all()
    assert ada.username == "ada_l"
    for old in ("/authors/ada", "/authors/ADA"):
        moved = client.get(old + "?before=x")
        assert moved.status_code == 301
        assert moved.headers["Location"].startswith("/authors/ada_l")
    assert client.get("/authors/ada_l").status_code == 200


def test_a_chain_of_renames_leads_to_the_latest_name(client, ada):
    login(client, ada)
    rename(client, "ada_two")
    rename(client, "ada_three")
    for old in ("ada", "ada_two"):
        assert client.get(f"/authors/{old}").headers["Location"] == "/authors/ada_three"


def test_taking_ones_old_name_back_drops_its_redirect(client, ada):
    login(client, ada)
    rename(client, "ada_two")
    rename(client, "ada")
    assert client.get("/authors/ada").status_code == 200
    assert client.get("/authors/ada_two").headers["Location"] == "/authors/ada"
    assert set(redirects()) == {"ada_two"}


def test_a_new_account_may_take_an_old_name_and_replaces_the_redirect(app, client, factory, ada):
    login(client, ada)
    rename(client, "ada_l")
    newcomer = app.test_client()
    data = {"username": "Ada", "email": "other@example.com", "password": PASSWORD}
    assert submit(newcomer, "/register", data, page="/register").status_code == 302
    assert client.get("/authors/ada").status_code == 200  # the newcomer's own page now
    assert "ada" not in redirects()


def test_another_account_renamed_to_an_old_name_replaces_the_redirect(app, client, factory, ada):
    bea = factory.user(username="bea")
    login(client, ada)
    rename(client, "ada_l")
    other = app.test_client()
    login(other, bea)
    assert rename(other, "ada").status_code == 302
    assert client.get("/authors/ada").status_code == 200
    assert redirects() == {"bea": bea.id}


def test_a_change_of_case_only_leaves_no_redirect(client, ada):
    login(client, ada)
    assert rename(client, "Ada").status_code == 302
    assert redirects() == {}
    assert client.get("/authors/ada").status_code == 200


def test_every_door_that_renames_leaves_a_redirect(app, client, ada):
    doors = Doors(app, client, ada)
    assert doors.v1("PATCH", "/api/v1/me", {"username": "ada_v1"}).status_code == 200
    assert doors.realworld("PUT", "/api/user", {"user": {"username": "ada_rw"}}).status_code == 200
    assert redirects() == {"ada": ada.id, "ada_v1": ada.id}
    assert client.get("/api/profiles/ada").headers["Location"].endswith("/api/profiles/ada_rw")
    moved = client.get("/api/v1/users/ada_v1")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/api/v1/users/ada_rw")


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("bea", "That username is taken."),
        ("BEA", "That username is taken."),
        ("a b", "Use 3 to 30 letters, digits, hyphens or underscores."),
        ("x", "Use 3 to 30 letters, digits, hyphens or underscores."),
        ("x" * 31, "Use 3 to 30 letters, digits, hyphens or underscores."),
        ("ädä", "Use 3 to 30 letters, digits, hyphens or underscores."),
        ("first", "That username is taken."),
        ("", "Use 3 to 30 letters, digits, hyphens or underscores."),
    ],
)
def test_bad_names_are_refused_on_the_page(client, factory, ada, username, message):
    factory.user(username="bea")
    login(client, ada)
    response = rename(client, username)
    assert response.status_code == 422
    assert message in errors_on(response)
    db.session.expire_all()
    assert ada.username == "ada"
    assert redirects() == {}


def test_a_nul_in_the_name_is_dropped_as_on_every_form(client, ada):
    login(client, ada)
    assert rename(client, "ada_\x00l").status_code == 302
    db.session.expire_all()
    assert ada.username == "ada_l"


def test_the_rename_needs_a_csrf_token(client, ada):
    login(client, ada)
    data = {**form_values(client, "/settings"), "username": "ada_l"}
    data.pop("csrf_token")
    assert client.post("/settings", data=data).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(UsernameRedirect)) == 0


def test_a_visitor_follows_the_redirect_in_a_fixed_number_of_queries(client, ada, queries):
    login(client, ada)
    rename(client, "ada_l")
    visitor = client.application.test_client()
    queries.clear()
    assert visitor.get("/authors/ada").status_code == 301
    assert len(queries) <= 3, queries
