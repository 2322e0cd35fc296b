"""Calling the RealWorld API in tests: as a visitor, or with an account's token."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from inkstand.accounts.models import User
from inkstand.db import utcnow


def registration_at_once(app: Flask) -> None:
    """Let the API register anyone (answering with a token at once, as the specification
    has it): turn off the confirmation of addresses, under which only the first may."""
    from inkstand.extensions import db
    from inkstand.site import services as site

    site.configure(db.session, "email_confirmation", "off")


def token_for(app: Flask, user: User) -> str:
    tokens = app.extensions["inkstand.realworld"]
    token: str = tokens.issue(user, utcnow())
    return token


class Api:
    """A client of /api that sends ``as_`` user's token, if any."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client

    def call(
        self, method: str, path: str, as_: User | None = None, *, scheme: str = "Token",
        **kwargs: Any,
    ) -> TestResponse:  # fmt: skip
        headers = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers["Authorization"] = f"{scheme} {token_for(self.app, as_)}"
        return self.client.open(f"/api{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, as_: User | None = None, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, as_, **kwargs)

    def post(self, path: str, as_: User | None = None, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, as_, **kwargs)

    def put(self, path: str, as_: User | None = None, **kwargs: Any) -> TestResponse:
        return self.call("PUT", path, as_, **kwargs)

    def delete(self, path: str, as_: User | None = None, **kwargs: Any) -> TestResponse:
        return self.call("DELETE", path, as_, **kwargs)


def errors(response: TestResponse) -> dict[str, list[str]]:
    """The ``errors`` member of a JSON error answer, checking it is one."""
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body) == {"errors"}
    found: dict[str, list[str]] = body["errors"]
    assert all(isinstance(m, list) and m for m in found.values())
    return found
