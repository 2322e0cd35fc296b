"""Who calls the API: the account behind ``Authorization: Bearer <token>``, or nobody.

The session cookie is never read here, so a page open in a browser cannot be made
to write through the API (no CSRF): the API knows only tokens.
"""

from __future__ import annotations

from flask import g, request
from werkzeug.datastructures import WWWAuthenticate

from inkstand import runtime
from inkstand.accounts import tokens
from inkstand.accounts.models import ApiToken, User
from inkstand.exceptions import Forbidden, Unauthenticated
from inkstand.extensions import db


class ReadOnlyToken(Forbidden):
    """A token of the read scope was used to change something."""

    problem = "read-only-token"


def challenge(reason: str | None = None) -> str:
    """The WWW-Authenticate header of a 401: a bearer token, and what was wrong with
    the one sent, if one was (RFC 6750)."""
    values: dict[str, str | None] = {"realm": "inkstand"}
    if reason:
        values["error"] = reason
    return WWWAuthenticate("bearer", values).to_header()


def bearer() -> str | None:
    """The token the request presents, if any; the same string the rate limiter keys on."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writes anyone may make, with no token: subscribing an address (confirmed by mail).
OPEN_WRITES = frozenset({"api_v1_subscriptions.subscribe"})


def load() -> None:
    """Before each API request: find the caller. A bad token is a 401, never anonymous;
    a write needs a read-write token, checked before its body is read."""
    g.api_user, g.api_token = None, None
    header = request.headers.get("Authorization")
    if request.method == "OPTIONS":
        return
    needs_writer = request.method not in READS and request.endpoint not in OPEN_WRITES
    if header is None:
        if needs_writer:
            writer()
        return
    presented = bearer()
    if presented is None:
        raise Unauthenticated(
            "Send the token as 'Authorization: Bearer <token>'.", reason="invalid_request"
        )
    g.api_user, g.api_token = tokens.authenticate(db.session, presented, runtime.now())
    if needs_writer:
        writer()


def viewer() -> User | None:
    """The calling account, or None for an anonymous reader."""
    user: User | None = g.get("api_user")
    return user


def caller(doing: str = "This") -> tuple[User, ApiToken]:
    """The calling account and its token. Raises Unauthenticated when no token was sent."""
    user, token = viewer(), g.get("api_token")
    if user is None or not isinstance(token, ApiToken):
        raise Unauthenticated(f"{doing} needs a token: 'Authorization: Bearer <token>'.")
    return user, token


def writer() -> User:
    """The calling account when its token may write. Raises Unauthenticated or
    ReadOnlyToken."""
    user, token = caller("Writing")
    if not token.can_write:
        raise ReadOnlyToken("This token may only read: make a read-write token to write.")
    return user
