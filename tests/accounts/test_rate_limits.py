"""Failed log-ins are counted per account (however it is named), per account from
one address, and per address, in memory or in Redis; a stranger who fails at an
account keeps its owner out for a short while at most, and not at all where she
logged in before, while the stranger's own address stays slowed. Password-reset
mails are limited per recipient as well as per address."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from inkstand.accounts.models import User
from inkstand.extensions import limiter
from tests.helpers import PASSWORD, Factory, LimitClock, Outbox, app_with_limits, submit

MINUTE = 61  # seconds: past a minute's window


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url, tmp_path) -> Iterator[Flask]:
    """An app whose limits are small and kept in memory or in a real Redis."""
    overrides = {
        "LOGIN_LIMITS_PER_ACCOUNT": "3 per minute",
        "LOGIN_LIMITS_PER_ACCOUNT_AND_ADDRESS": "2 per minute;2 per hour",
        "LOGIN_LIMITS_PER_ADDRESS": "5 per minute;10 per hour",
        "PASSWORD_RESET_LIMITS_PER_ACCOUNT": "2 per hour",
        "PASSWORD_RESET_LIMITS_PER_ADDRESS": "3 per hour",
    }
    with app_with_limits(request.param, tmp_path, database_url, **overrides) as app:
        yield app


@pytest.fixture
def ada(limited_app) -> User:
    return Factory(limited_app).user(username="ada", email="ada@example.com")


def _at(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _fail(client, login: str, address: str = "127.0.0.1") -> int:
    data = {"login": login, "password": "not the password"}
    return submit(client, "/login", data, **_at(address)).status_code


# Each log-in door: (named, password, address) -> status; and its status for a success.
LogIn = Callable[[Flask, str, str, str], int]


def _on_the_site(app: Flask, name: str, password: str, address: str) -> int:
    data = {"login": name, "password": password}
    return submit(app.test_client(), "/login", data, **_at(address)).status_code


def _through_realworld(app: Flask, name: str, password: str, address: str) -> int:
    body = {"user": {"email": name, "password": password}}
    return app.test_client().post("/api/users/login", json=body, **_at(address)).status_code


DOORS = {"site": (_on_the_site, 302), "realworld": (_through_realworld, 200)}
# How each door may name ada: the site takes her username or address, the RealWorld API
# her address; any case, any spacing around.
NAMES = {
    "site": ["ada", "ADA@example.com", "  Ada ", "ada@EXAMPLE.com"],
    "realworld": ["ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com  "],
}


def test_limits_are_kept_where_configured(limited_app, ada, request):
    _fail(limited_app.test_client(), ada.username)
    storage = limiter.storage
    prefix = limited_app.config.get("RATELIMIT_STORAGE_OPTIONS", {}).get("key_prefix")
    if "redis" in request.node.callspec.id:
        keys = list(storage.get_connection().scan_iter(f"{prefix}:*"))  # type: ignore[attr-defined]
        assert keys, "no limit counters in Redis"
        assert not any(b"ada" in key for key in keys), "a typed name kept in the store"
    else:
        assert type(storage).__name__ == "MemoryStorage"


@pytest.mark.parametrize("door", sorted(DOORS))
def test_failed_logins_count_per_account_however_it_is_named(limited_app, ada, door):
    log_in, _ = DOORS[door]
    names = NAMES[door]
    statuses = [
        log_in(limited_app, names[n % len(names)], "wrong", f"10.0.0.{n}") for n in range(4)
    ]
    assert 429 not in statuses[:3]
    assert statuses[3] == 429
    assert log_in(limited_app, "someone-else@example.com", "wrong", "10.0.0.9") != 429


def test_failed_logins_limited_per_address_across_accounts(limited_app):
    client = limited_app.test_client()
    statuses = [_fail(client, f"guess{n}", "10.0.0.1") for n in range(6)]
    assert statuses == [422] * 5 + [429]
    assert _fail(client, "guess-more", "10.0.0.2") == 422


@pytest.mark.parametrize("door", sorted(DOORS))
def test_a_stranger_at_one_address_never_locks_the_owner_out(limited_app, ada, door):
    log_in, success = DOORS[door]
    name = NAMES[door][0]
    statuses = [log_in(limited_app, name, "wrong", "10.6.6.6") for _ in range(20)]
    assert statuses[2:] == [429] * 18  # her address is slowed at once...
    assert log_in(limited_app, name, PASSWORD, "10.1.1.1") == success  # ...the owner is not


@pytest.mark.parametrize("door", sorted(DOORS))
def test_the_owner_gets_in_after_a_short_delay_the_strangers_stay_slowed(
    limited_app, ada, door, monkeypatch
):
    clock = LimitClock(limited_app, monkeypatch)
    log_in, success = DOORS[door]
    name = NAMES[door][-1]
    # Strangers at two addresses spend the account's budget of the minute...
    attempts = [log_in(limited_app, name, "wrong", f"10.6.6.{n % 2}") for n in range(10)]
    assert attempts[:3] == [attempts[0]] * 3
    assert attempts[0] != 429
    assert attempts[3:] == [429] * 7
    # ...so that even the right password waits, in each door's shape, for under a minute.
    client = limited_app.test_client()
    if door == "site":
        refused = submit(client, "/login", {"login": name, "password": PASSWORD}, **_at("10.1.1.1"))
        assert "Too many attempts" in refused.get_data(as_text=True)
    else:
        body = {"user": {"email": name, "password": PASSWORD}}
        refused = client.post("/api/users/login", json=body, **_at("10.1.1.1"))
        assert refused.get_json()["errors"]
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60

    clock.advance(MINUTE)

    assert log_in(limited_app, name, PASSWORD, "10.1.1.1") == success
    # The strangers' addresses have spent their hour at this account.
    assert log_in(limited_app, name, "wrong", "10.6.6.0") == 429
    assert log_in(limited_app, name, PASSWORD, "10.6.6.0") == 429


@pytest.mark.parametrize("door", sorted(DOORS))
def test_where_the_owner_logged_in_before_strangers_elsewhere_cannot_keep_her_out(
    limited_app, ada, door
):
    log_in, success = DOORS[door]
    name = NAMES[door][0]
    assert log_in(limited_app, name, PASSWORD, "10.1.1.1") == success  # her usual address
    for n in range(10):  # strangers at ten addresses spend the account's budget
        log_in(limited_app, name, "wrong", f"10.6.6.{n}")
    assert log_in(limited_app, name, PASSWORD, "10.2.2.2") == 429  # a new address waits
    assert log_in(limited_app, name, PASSWORD, "10.1.1.1") == success  # hers does not
    # Her address's own budgets still count there.
    statuses = [log_in(limited_app, name, "wrong", "10.1.1.1") for _ in range(3)]
    assert statuses[-1] == 429


def test_a_request_refused_by_a_limit_spends_no_other_budget(limited_app, ada, monkeypatch):
    """An address over its own budget hammers on without spending the account's."""
    clock = LimitClock(limited_app, monkeypatch)
    assert [_fail(limited_app.test_client(), "ada", "10.6.6.6") for _ in range(3)] == [
        422, 422, 429
    ]  # fmt: skip
    for _ in range(30):
        _fail(limited_app.test_client(), "ada", "10.6.6.6")
    clock.advance(MINUTE)
    # Had the refused tries counted, the account's minute would be spent again.
    assert [_fail(limited_app.test_client(), "ada", f"10.0.0.{n}") for n in range(3)] == [422] * 3


# Password-reset mails: per recipient as well as per address, answered the same always.


def _ask_reset(app: Flask, email: str, address: str) -> int:
    response = submit(app.test_client(), "/password/forgot", {"email": email},
                      page="/password/forgot", **_at(address))  # fmt: skip
    return response.status_code


def test_reset_mails_to_one_account_are_limited_whatever_the_address(limited_app, ada):
    outbox = Outbox(limited_app)
    statuses = [_ask_reset(limited_app, "ADA@example.com", f"10.0.0.{n}") for n in range(5)]
    assert statuses == [302] * 5  # answered alike: nothing tells whether mail went
    assert len(outbox.messages()) == 2
    bob = Factory(limited_app).user(username="bob", email="bob@example.com")
    assert _ask_reset(limited_app, bob.email, "10.0.0.9") == 302
    assert len(outbox.messages()) == 3


def test_reset_requests_are_limited_per_address(limited_app, ada):
    statuses = [_ask_reset(limited_app, f"x{n}@example.com", "10.0.0.1") for n in range(4)]
    assert statuses == [302] * 3 + [429]
    assert _ask_reset(limited_app, "y@example.com", "10.0.0.2") == 302


def test_an_unknown_address_is_answered_as_a_known_one(limited_app, ada):
    for n in range(3):
        known = _ask_reset(limited_app, ada.email, f"10.0.1.{n}")
        unknown = _ask_reset(limited_app, "nobody@example.com", f"10.0.2.{n}")
        assert known == unknown == 302
