"""Who is calling: the account named by the request's ``Authorization`` token.

The RealWorld API never reads the session cookie: a browser logged in to the
site is a visitor here unless it sends a token.
"""

from __future__ import annotations

from flask import current_app, g, request

from inkstand.accounts.models import User
from inkstand.api.realworld.tokens import Tokens
from inkstand.db import ID_MAX
from inkstand.exceptions import Unauthenticated
from inkstand.extensions import db

SCHEMES = ("token", "bearer")
CHALLENGE = "Token"  # the WWW-Authenticate header of a 401: the specification's scheme


def tokens() -> Tokens:
    found: Tokens = current_app.extensions["inkstand.realworld"]
    return found


def _from_header() -> User | None:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in SCHEMES or not token.strip():
        raise Unauthenticated("Send the token as “Authorization: Token <token>”.")
    found = tokens().read(token.strip())
    user = db.session.get(User, found[0]) if found and 0 < found[0] <= ID_MAX else None
    if user is None or found is None or not tokens().matches(user, found[1]):
        raise Unauthenticated("The token is invalid or has expired. Log in again.")
    if not user.is_active:
        raise Unauthenticated("This account is suspended.")
    return user


def user() -> User | None:
    """The calling account, or None for a call without a token. Raises
    Unauthenticated for a bad token: a caller who sent one meant to be someone."""
    if "realworld_user" not in g:
        g.realworld_user = _from_header()
    found: User | None = g.realworld_user
    return found


def required() -> User:
    """The calling account. Raises Unauthenticated without a good token."""
    found = user()
    if found is None:
        raise Unauthenticated("Log in: this needs a token.")
    return found
