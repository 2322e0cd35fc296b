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
from tests.helpers import Factory, bearer

Call = Callable[..., TestResponse]


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
