"""Failed log-ins are limited per account and per address, in memory or in Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from inkstand.extensions import limiter
from tests.helpers import Factory, app_with_limits, submit


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url, tmp_path) -> Iterator[Flask]:
    """An app whose limits are small and kept in memory or in a real Redis."""
    overrides = {
        "LOGIN_LIMITS_PER_ACCOUNT": "3 per minute",
        "LOGIN_LIMITS_PER_ADDRESS": "5 per minute",
    }
    with app_with_limits(request.param, tmp_path, database_url, **overrides) as app:
        yield app


def _fail(client, login: str, address: str = "127.0.0.1") -> int:
    data = {"login": login, "password": "not the password"}
    return submit(client, "/login", data, environ_base={"REMOTE_ADDR": address}).status_code


def test_limits_are_kept_where_configured(limited_app, request):
    user = Factory(limited_app).user()
    _fail(limited_app.test_client(), user.username)
    storage = limiter.storage
    prefix = limited_app.config.get("RATELIMIT_STORAGE_OPTIONS", {}).get("key_prefix")
    if "redis" in request.node.callspec.id:
        keys = list(storage.get_connection().scan_iter(f"{prefix}:*"))  # type: ignore[attr-defined]
        assert keys, "no limit counters in Redis"
    else:
        assert type(storage).__name__ == "MemoryStorage"


def test_failed_logins_limited_per_account_across_addresses(limited_app):
    user = Factory(limited_app).user()
    client = limited_app.test_client()
    assert [_fail(client, user.username, f"10.0.0.{n}") for n in range(4)] == [422] * 3 + [429]
    assert _fail(client, "someone-else", "10.0.0.9") == 422


def test_failed_logins_limited_per_address_across_accounts(limited_app):
    client = limited_app.test_client()
    statuses = [_fail(client, f"guess{n}", "10.0.0.1") for n in range(6)]
    assert statuses == [422] * 5 + [429]
    assert _fail(client, "guess-more", "10.0.0.2") == 422
