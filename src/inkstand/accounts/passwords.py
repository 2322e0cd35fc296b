"""Password hashing (Argon2id), and the signed links mailed to prove an account's
password or address: a password reset, a change of address."""

from __future__ import annotations

import hmac
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeGuard, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from inkstand.accounts.models import Invitation, User

T = TypeVar("T")


def _aside(call: Callable[[], T]) -> T:
    """Run ``call`` (Argon2: a few hundred milliseconds of C that releases the GIL)
    where it holds up no one else. Under gevent every request of a worker shares
    one thread, so the hash goes to gevent's pool of native threads and the other
    greenlets go on meanwhile; in a threaded worker the other threads already do."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("threading"):
        hub: Any = sys.modules["gevent"].get_hub()
        result: T = hub.threadpool.apply(call)
        return result
    return call()


class Passwords:
    """Hashes and checks passwords with the configured Argon2id parameters."""

    def __init__(self, time_cost: int, memory_cost: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
        # Checked against when no account matches, so both paths take as long.
        self._decoy = self._hasher.hash("inkstand decoy password")

    def hash(self, password: str) -> str:
        return _aside(lambda: self._hasher.hash(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            matches = _aside(lambda: self._hasher.verify(password_hash or self._decoy, password))
        except (VerificationError, InvalidHashError):
            return False
        return matches and bool(password_hash)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


class ResetLinks:
    """Signed, expiring, single-use password reset tokens.

    A token carries a fingerprint of the password hash it was issued against;
    setting a new password changes the hash, so a used token is dead.
    """

    def __init__(self, secret_key: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="inkstand.password-reset")
        self.max_age = max_age

    def issue(self, user: User) -> str:
        return self._serializer.dumps({"uid": user.id, "fp": user.password_fingerprint})

    def user_id(self, token: str) -> tuple[int, str] | None:
        """The (user id, password fingerprint) a token names, or None if bad or expired."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
            return None
        return data["uid"], str(data.get("fp"))

    def matches(self, user: User, fingerprint: str) -> bool:
        return hmac.compare_digest(user.password_fingerprint, fingerprint)


class LinkProblem(StrEnum):
    """Why a mailed link does not work, each told apart on its page."""

    EXPIRED = "expired"
    USED = "used"  # used already, or replaced by a newer link
    BROKEN = "broken"  # altered, cut short, or never issued here


def _signed(
    serializer: URLSafeTimedSerializer, token: str, max_age: int
) -> dict[str, Any] | LinkProblem:
    """What a signed link carries, or why it does not work: expired, or not signed here."""
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        return LinkProblem.EXPIRED
    except BadSignature:
        return LinkProblem.BROKEN
    return data if isinstance(data, dict) else LinkProblem.BROKEN


# The one reader of signed links, for other features' links (subscriptions) too.
read_signed = _signed


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class AddressLinks:
    """Signed, expiring, single-use links that confirm an address for an account: a new
    address (``purpose`` "email-change", the nonce in ``User.email_change_nonce``), or
    the address given at registration ("email-confirm", ``User.email_confirm_nonce``).

    A link names the account, the address and a nonce kept on the account until the
    link is used or a newer one is asked for: either clears or replaces it, so a link
    works once. Each purpose signs with its own salt: one kind never opens the other.
    """

    def __init__(self, secret_key: str, max_age: int, purpose: str = "email-change") -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=f"inkstand.{purpose}")
        self.max_age = max_age
        self._nonce = "email_confirm_nonce" if purpose == "email-confirm" else "email_change_nonce"

    def issue(self, user: User, email: str, nonce: str) -> str:
        return self._serializer.dumps({"uid": user.id, "email": email, "n": nonce})

    def read(self, token: str) -> tuple[int, str, str] | LinkProblem:
        """The (user id, address, nonce) a link names, or why it does not work."""
        data = _signed(self._serializer, token, self.max_age)
        if isinstance(data, LinkProblem):
            return data
        uid, email, nonce = data.get("uid"), data.get("email"), data.get("n")
        if not _is_id(uid) or not isinstance(email, str) or not isinstance(nonce, str):
            return LinkProblem.BROKEN
        return uid, email, nonce

    def matches(self, user: User, nonce: str) -> bool:
        current: str | None = getattr(user, self._nonce)
        return current is not None and hmac.compare_digest(current, nonce)


class InviteLinks:
    """Signed, expiring links that invite a person to make an account. A link names
    an ``Invitation`` row and the nonce kept on it; accepting deletes the row, so a
    link works once, and the nonce keeps a reused row id from reviving an old link."""

    def __init__(self, secret_key: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="inkstand.invitation")
        self.max_age = max_age

    def issue(self, invitation: Invitation) -> str:
        return self._serializer.dumps({"i": invitation.id, "n": invitation.nonce})

    def read(self, token: str) -> tuple[int, str] | LinkProblem:
        """The (invitation id, nonce) a link names, or why it does not work."""
        data = _signed(self._serializer, token, self.max_age)
        if isinstance(data, LinkProblem):
            return data
        ident, nonce = data.get("i"), data.get("n")
        if not _is_id(ident) or not isinstance(nonce, str):
            return LinkProblem.BROKEN
        return ident, nonce

    @staticmethod
    def matches(invitation: Invitation, nonce: str) -> bool:
        return hmac.compare_digest(invitation.nonce, nonce)
