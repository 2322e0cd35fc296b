"""Personal access tokens for the API: made, listed, revoked, and checked on each request.

A token is ``ink_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is
kept, so a stolen database gives no usable token; the token is shown once, when made.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from inkstand import audit, text
from inkstand.accounts.models import ApiToken, TokenScope, User
from inkstand.audit import Action, Target
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound, Unauthenticated

PREFIX = "ink_"
PREFIX_SHOWN = 12  # "ink_" and 8 characters of the secret, enough to tell tokens apart
NAME_MAX = 80
TOKENS_MAX = 50  # per account
# last_used_at is written at most this often, so a busy client does not write per request.
USE_RESOLUTION = timedelta(minutes=1)


def _unknown() -> Unauthenticated:
    return Unauthenticated("The token is unknown or revoked.", reason="invalid_token")


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def create(
    session: DbSession, actor: User | None, name: str, scope: str, now: datetime
) -> tuple[ApiToken, str]:
    """Make a token for ``actor``; returns it with its plaintext, which is not kept.
    Raises Forbidden (not logged in) or Invalid."""
    if actor is None:
        raise Forbidden("Log in to make API tokens.")
    name = text.clean(name)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the token a name, to recognise it later."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Use at most {NAME_MAX} characters."]
    if scope not in {s.value for s in TokenScope}:
        errors["scope"] = ["Choose read or read-write."]
    if not errors and len(for_owner(session, actor)) >= TOKENS_MAX:
        errors["name"] = [f"An account may hold at most {TOKENS_MAX} tokens: revoke one first."]
    if errors:
        raise Invalid(errors)
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        scope=scope,
        token_hash=digest(plaintext),
        prefix=plaintext[:PREFIX_SHOWN],
        created_at=now,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, Action.TOKEN_CREATED, _target(token), {"scope": scope}, now=now)
    session.commit()
    return token, plaintext


def _target(token: ApiToken) -> Target:
    return Target("token", token.id, f"{token.name} ({token.prefix}…)")


def for_owner(session: DbSession, actor: User) -> list[ApiToken]:
    """The tokens ``actor`` holds and has not revoked, newest first."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(stmt))


def revoke(session: DbSession, actor: User | None, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of ``actor``'s tokens. Another's, or none, raises NotFound."""
    token = session.get(ApiToken, token_id) if 0 < token_id <= ID_MAX else None
    if token is None or actor is None or token.user_id != actor.id or token.revoked_at:
        raise NotFound("No such token.")
    token.revoked_at = now
    audit.record(session, actor, Action.TOKEN_REVOKED, _target(token), now=now)
    session.commit()
    return token


def authenticate(session: DbSession, plaintext: str, now: datetime) -> tuple[User, ApiToken]:
    """The account and token a presented token names. Raises Unauthenticated.

    Marks the token used, writing at most once per USE_RESOLUTION.
    """
    if not plaintext.startswith(PREFIX) or len(plaintext) > 100:
        raise _unknown()
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(plaintext))
    ).first()
    if row is None or row.ApiToken.revoked_at is not None:
        raise _unknown()
    if not row.User.is_active:
        raise Unauthenticated("The token's account is suspended.", reason="invalid_token")
    token, user = row.ApiToken, row.User
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return user, token
