"""The RealWorld API's tokens: JWTs (HS256) that name an account and expire.

A token carries the fingerprint every session carries (``User.session_fingerprint``):
a new password, or "log out everywhere", ends every token issued before it, as it
ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import jwt

from inkstand.accounts.models import User

AUDIENCE = "inkstand:realworld"


class Tokens:
    """Issues and reads the API's tokens with a key derived from the app's secret key."""

    def __init__(self, secret_key: str, max_age: int) -> None:
        # A key of its own, so a token can never stand in for another signed value
        # (a session, a reset link); 32 bytes whatever the secret key's length.
        self._key = hashlib.sha256(f"inkstand.realworld-token:{secret_key}".encode()).digest()
        self.max_age = max_age

    def issue(self, user: User, now: datetime) -> str:
        claims = {
            "sub": str(user.id),
            "fp": user.session_fingerprint,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + timedelta(seconds=self.max_age),
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def read(self, token: str) -> tuple[int, str] | None:
        """The (user id, password fingerprint) a token names; None if bad or expired."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], audience=AUDIENCE,
                options={"require": ["sub", "fp", "exp", "iat"]},
            )  # fmt: skip
        except jwt.PyJWTError:
            return None
        subject, fingerprint = claims["sub"], claims["fp"]
        if not (isinstance(subject, str) and subject.isdecimal() and len(subject) <= 10):
            return None
        if not isinstance(fingerprint, str):
            return None
        return int(subject), fingerprint

    @staticmethod
    def matches(user: User, fingerprint: str) -> bool:
        return hmac.compare_digest(user.session_fingerprint, fingerprint)
