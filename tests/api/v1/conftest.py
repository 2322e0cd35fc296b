"""Native API fixtures: tokens for each role and scope, and requests that carry them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inkstand.accounts import tokens
from inkstand.accounts.models import User
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import Factory

PROBLEM = "application/problem+json"
Call = Callable[..., TestResponse]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(factory: Factory) -> Callable[..., str]:
    """A token of ``user`` (or of a new account of ``role``) with ``scope``."""

    def make(user: User | str = "author", scope: str = "read-write") -> str:
        owner = factory.user(user) if isinstance(user, str) else user
        return tokens.create(db.session, owner, "tests", scope, utcnow())[1]

    return make


@pytest.fixture
def call(client: FlaskClient) -> Call:
    """A request to the API, with a token when given."""

    def send(method: str, url: str, token: str | None = None, **kwargs: Any) -> TestResponse:
        headers = {**(bearer(token) if token else {}), **kwargs.pop("headers", {})}
        return client.open(url, method=method, headers=headers, **kwargs)

    return send


def assert_problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of ``kind`` with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["type"] == f"/api/v1/problems/{kind}"
    assert body["status"] == status
    assert body["title"]
    assert isinstance(body["detail"], str)
    return body
