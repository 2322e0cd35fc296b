"""Personal access tokens: the service every door uses, and the settings page."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from inkstand.accounts import tokens
from inkstand.accounts.models import ApiToken, Role
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid, NotFound, Unauthenticated
from inkstand.extensions import db
from tests.helpers import csrf_token, login, submit

ROLES = [r.value for r in Role]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_makes_a_token_kept_only_as_a_hash(factory, role):
    user = factory.user(role)
    token, plaintext = tokens.create(db.session, user, " CI ", "read-write", utcnow())
    assert re.fullmatch(r"ink_[A-Za-z0-9_-]{43}", plaintext)  # 256 random bits
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in {stored.token_hash, stored.prefix, stored.name}
    assert stored.prefix == plaintext[:12]
    assert stored.name == "CI"
    assert tokens.authenticate(db.session, plaintext, utcnow())[0].id == user.id


def test_two_tokens_never_share_a_secret(factory):
    user = factory.user()
    made = {tokens.create(db.session, user, f"t{n}", "read", utcnow())[1] for n in range(20)}
    assert len(made) == 20


@pytest.mark.parametrize(
    ("name", "scope", "field"),
    [
        ("", "read", "name"),
        ("  \x00 ", "read", "name"),
        ("x" * 81, "read", "name"),
        ("ok", "write", "scope"),
        ("ok", "", "scope"),
        ("ok", "admin", "scope"),
    ],
)
def test_bad_names_and_scopes_are_refused(factory, name, scope, field):
    with pytest.raises(Invalid) as error:
        tokens.create(db.session, factory.user(), name, scope, utcnow())
    assert field in error.value.errors
    assert db.session.scalar(select(ApiToken.id)) is None


def test_a_visitor_makes_no_token(app):
    with pytest.raises(Forbidden):
        tokens.create(db.session, None, "x", "read", utcnow())


def test_an_account_holds_a_bounded_number_of_tokens(factory, monkeypatch):
    monkeypatch.setattr(tokens, "TOKENS_MAX", 2)
    user = factory.user()
    for n in range(2):
        tokens.create(db.session, user, f"t{n}", "read", utcnow())
    with pytest.raises(Invalid):
        tokens.create(db.session, user, "one more", "read", utcnow())


def test_the_list_shows_the_owners_live_tokens_newest_first(factory):
    ada, bob = factory.user(), factory.user()
    now = utcnow()
    tokens.create(db.session, ada, "first", "read", now)
    tokens.create(db.session, ada, "second", "read", now + timedelta(seconds=1))
    revoked, _ = tokens.create(db.session, ada, "gone", "read", now)
    tokens.create(db.session, bob, "bob's", "read", now)
    tokens.revoke(db.session, ada, revoked.id, now)
    assert [t.name for t in tokens.for_owner(db.session, ada)] == ["second", "first"]


@pytest.mark.parametrize("who", ["another", "visitor", "admin"])
def test_only_the_owner_revokes(factory, who):
    owner = factory.user()
    token, plaintext = tokens.create(db.session, owner, "mine", "read", utcnow())
    actor = {"another": factory.user(), "visitor": None, "admin": factory.user("admin")}[who]
    with pytest.raises(NotFound):
        tokens.revoke(db.session, actor, token.id, utcnow())
    assert tokens.authenticate(db.session, plaintext, utcnow())[1].id == token.id


@pytest.mark.parametrize("token_id", [0, -1, 2**31, 999_999])
def test_revoking_a_missing_token_is_not_found(factory, token_id):
    with pytest.raises(NotFound):
        tokens.revoke(db.session, factory.user(), token_id, utcnow())


def test_a_revoked_token_no_longer_authenticates_and_cannot_be_revoked_twice(factory):
    user = factory.user()
    token, plaintext = tokens.create(db.session, user, "t", "read", utcnow())
    tokens.revoke(db.session, user, token.id, utcnow())
    with pytest.raises(Unauthenticated):
        tokens.authenticate(db.session, plaintext, utcnow())
    with pytest.raises(NotFound):
        tokens.revoke(db.session, user, token.id, utcnow())


@pytest.mark.parametrize(
    "presented",
    ["", "ink_", "ink_unknown", "not-a-token", "ink_" + "a" * 200, "ink_\x00\udcff", "INK_x"],
)
def test_unknown_and_malformed_tokens_are_refused(factory, presented):
    tokens.create(db.session, factory.user(), "t", "read", utcnow())
    with pytest.raises(Unauthenticated):
        tokens.authenticate(db.session, presented, utcnow())


def test_last_use_is_written_at_most_once_a_minute(factory, queries):
    user = factory.user()
    start = utcnow()
    token, plaintext = tokens.create(db.session, user, "t", "read", start)
    queries.clear()
    tokens.authenticate(db.session, plaintext, start)
    writes = [q for q in queries if q.lstrip().upper().startswith("UPDATE")]
    assert len(writes) == 1
    queries.clear()
    for seconds in (1, 30, 59):
        tokens.authenticate(db.session, plaintext, start + timedelta(seconds=seconds))
    assert not [q for q in queries if q.lstrip().upper().startswith("UPDATE")]
    tokens.authenticate(db.session, plaintext, start + timedelta(seconds=61))
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start + timedelta(seconds=61)


# The settings page


def test_the_settings_page_links_to_the_tokens_page(client, factory):
    login(client, factory.user("reader"))
    assert 'href="/settings/tokens"' in client.get("/settings").get_data(as_text=True)


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get("/settings/tokens")
    assert response.status_code == 302
    assert "/login" in response.location


@pytest.mark.parametrize("role", ROLES)
def test_the_token_is_shown_once_then_listed_by_its_prefix(client, factory, role):
    user = factory.user(role)
    login(client, user)
    page = "/settings/tokens"
    response = submit(client, page, {"name": "Deploy bot", "scope": "read-write"}, page=page)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    plaintext = re.search(r'<code id="new-token">(ink_[^<]+)</code>', html)[1]

    again = client.get(page).get_data(as_text=True)
    assert plaintext not in again
    assert plaintext[:12] in again
    assert "Deploy bot" in again
    assert "read-write" in again
    assert "never" in again  # not used yet
    assert tokens.authenticate(db.session, plaintext, utcnow())[0].id == user.id
    assert "never" not in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "scope": "read"}, "This field is required."),
        ({"name": "x" * 81, "scope": "read"}, "Field cannot be longer than 80 characters."),
        ({"name": "ok", "scope": "everything"}, "Not a valid choice."),
        ({"name": "\x00\x01", "scope": "read"}, "Give the token a name"),
    ],
)
def test_bad_input_is_a_form_error(client, factory, form, message):
    login(client, factory.user())
    response = submit(client, "/settings/tokens", form, page="/settings/tokens")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken.id)) is None


def test_the_owner_revokes_from_the_page(client, factory):
    user = factory.user()
    token, plaintext = tokens.create(db.session, user, "old laptop", "read", utcnow())
    login(client, user)
    response = submit(client, f"/settings/tokens/{token.id}/revoke", page="/settings/tokens")
    assert response.status_code == 302
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "is revoked" in page
    assert "old laptop" in page
    assert "You have no tokens." in page
    with pytest.raises(Unauthenticated):
        tokens.authenticate(db.session, plaintext, utcnow())


def test_another_accounts_token_is_not_found_from_the_page(client, factory):
    token, plaintext = tokens.create(db.session, factory.user(), "theirs", "read", utcnow())
    login(client, factory.user("admin"))
    response = submit(client, f"/settings/tokens/{token.id}/revoke", page="/settings/tokens")
    assert response.status_code == 404
    assert tokens.authenticate(db.session, plaintext, utcnow())


def test_revoking_needs_the_csrf_token(client, factory):
    user = factory.user()
    token, plaintext = tokens.create(db.session, user, "t", "read", utcnow())
    login(client, user)
    csrf_token(client, "/settings/tokens")
    response = client.post(f"/settings/tokens/{token.id}/revoke")
    assert response.status_code == 400
    assert tokens.authenticate(db.session, plaintext, utcnow())


def test_the_page_lists_in_a_fixed_number_of_queries(client, factory, queries):
    user = factory.user()
    for n in range(2):
        tokens.create(db.session, user, f"t{n}", "read", utcnow())
    login(client, user)
    queries.clear()
    client.get("/settings/tokens")
    few = len(queries)
    for n in range(10):
        tokens.create(db.session, user, f"more{n}", "read", utcnow())
    queries.clear()
    client.get("/settings/tokens")
    assert len(queries) == few


def test_a_token_name_is_shown_as_text(client, factory):
    user = factory.user()
    tokens.create(db.session, user, '<script>alert(1)</script><img src=x onerror=alert(1)>',
                  "read", utcnow())  # fmt: skip
    login(client, user)
    html = client.get("/settings/tokens").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
