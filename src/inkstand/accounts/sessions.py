"""Log-in sessions that end when they are ended: at log-out, at "log out everywhere",
at a new password.

A session's key is what the session cookie, and the remember-me cookie, carry:
``<account id>:<fingerprint>:<session id>:<began, in epoch seconds>``.

- The fingerprint (``User.session_fingerprint``) is of the account's password hash and
  session generation; the RealWorld API's tokens carry the same one. A new password,
  or "log out everywhere" (which raises the generation), changes it: every session,
  remembered or not, and every RealWorld token issued before stops working.
- Logging out records the session's random id in ``ended_sessions``: its key, copied
  anywhere, stops working. The row is kept until the key would have expired anyway.
- A key older than SESSION_MAX_AGE is refused, however it is presented.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.engine import CursorResult

from inkstand import audit
from inkstand.accounts.models import ApiToken, EndedSession, User
from inkstand.audit import Action, Target
from inkstand.db import ID_MAX, DbSession


class Key(NamedTuple):
    user_id: int
    fingerprint: str
    session_id: str
    began: datetime


def begin(user: User, now: datetime) -> str:
    """The key of a new session of ``user``."""
    return f"{user.id}:{user.session_fingerprint}:{secrets.token_hex(16)}:{int(now.timestamp())}"


def read(key: object) -> Key | None:
    """The parts of a session key; None for anything that is not one (a key from
    before sessions could end has only two parts)."""
    parts = key.split(":") if isinstance(key, str) else []
    if len(parts) != 4 or not all(part.isascii() and part.isalnum() for part in parts):
        return None
    user_id, fingerprint, session_id, began = parts
    if not (user_id.isdigit() and 0 < int(user_id) <= ID_MAX and began.isdigit()):
        return None
    try:
        moment = datetime.fromtimestamp(int(began), UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return Key(int(user_id), fingerprint, session_id, moment)


# The account of a session not logged out, read on every request of a logged-in reader:
# built once, as building the statement (and its cache key) cost more than running it.
_OPEN_ACCOUNT = select(User).where(
    User.id == bindparam("user_id"), ~exists().where(EndedSession.id == bindparam("session_id"))
)


def account_for(session: DbSession, key: object, now: datetime, max_age: int) -> User | None:
    """The account a session key opens, in one query; None when the key is not one,
    has expired, was logged out, or its account's password or generation changed."""
    found = read(key)
    if found is None or not found.began <= now <= found.began + timedelta(seconds=max_age):
        return None
    params = {"user_id": found.user_id, "session_id": found.session_id}
    user = session.scalar(_OPEN_ACCOUNT, params)
    if user is None or not hmac.compare_digest(user.session_fingerprint, found.fingerprint):
        return None
    return user


def end(session: DbSession, key: object, now: datetime, max_age: int) -> None:
    """End one session: its key opens nothing from now on. Ended sessions whose keys
    have expired since are forgotten."""
    session.execute(delete(EndedSession).where(EndedSession.expires_at < now))
    found = read(key)
    if found is not None and session.get(EndedSession, found.session_id) is None:
        expires = found.began + timedelta(seconds=max_age)
        user_id = session.scalar(select(User.id).where(User.id == found.user_id))
        if user_id is not None and expires >= now:
            session.add(EndedSession(id=found.session_id, user_id=user_id, expires_at=expires))
    session.commit()


def end_everywhere(session: DbSession, user: User, *, revoke_tokens: bool, now: datetime) -> int:
    """End every session of ``user`` and every RealWorld token issued to her, and, when
    asked, revoke her API tokens too. Returns how many API tokens were revoked."""
    user.session_generation += 1
    revoked = revoke_api_tokens(session, user, now) if revoke_tokens else 0
    session.commit()
    return revoked


def revoke_api_tokens(session: DbSession, user: User, now: datetime) -> int:
    """Revoke every live API token of ``user`` (the caller commits); returns how many,
    recorded in the audit log when there were any."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    revoked: int = cast("CursorResult[Any]", result).rowcount
    if revoked:
        target = Target.account(user)
        audit.record(session, user, Action.TOKEN_REVOKED, target, {"tokens": revoked}, now=now)
    return revoked
