"""The signed links a subscriber is mailed: one that confirms the subscription (expires,
works once), one that ends it (never expires while the subscription lives)."""

from __future__ import annotations

import hmac

from itsdangerous import URLSafeTimedSerializer

from inkstand.accounts.passwords import LinkProblem, read_signed
from inkstand.subscriptions.models import Subscriber

# An unsubscribe link in a mail years old still works: no expiry worth the name.
FOREVER = 100 * 365 * 24 * 3600


class SubscriptionLinks:
    """Each kind signs with its own salt, so one never opens the other. A link names the
    subscriber's row and a random value kept on it: the confirmation nonce (cleared once
    pressed) or the row's key (gone with the row)."""

    def __init__(self, secret_key: str, max_age: int) -> None:
        self._confirm = URLSafeTimedSerializer(secret_key, salt="inkstand.subscription-confirm")
        self._leave = URLSafeTimedSerializer(secret_key, salt="inkstand.unsubscribe")
        self.max_age = max_age

    def confirm_token(self, subscriber: Subscriber) -> str:
        assert subscriber.confirm_nonce is not None
        return self._confirm.dumps({"s": subscriber.id, "n": subscriber.confirm_nonce})

    def unsubscribe_token(self, subscriber: Subscriber) -> str:
        return self._leave.dumps({"s": subscriber.id, "k": subscriber.key})

    def read_confirm(self, token: str) -> tuple[int, str] | LinkProblem:
        """The (subscriber id, nonce) a confirmation link names, or why it does not work."""
        return _pair(read_signed(self._confirm, token, self.max_age), "n")

    def read_unsubscribe(self, token: str) -> tuple[int, str] | LinkProblem:
        """The (subscriber id, key) an unsubscribe link names, or why it does not work."""
        return _pair(read_signed(self._leave, token, FOREVER), "k")

    @staticmethod
    def matches(stored: str | None, carried: str) -> bool:
        return stored is not None and hmac.compare_digest(stored, carried)


def _pair(data: dict[str, object] | LinkProblem, name: str) -> tuple[int, str] | LinkProblem:
    if isinstance(data, LinkProblem):
        return data
    ident, value = data.get("s"), data.get(name)
    if not isinstance(ident, int) or isinstance(ident, bool) or not isinstance(value, str):
        return LinkProblem.BROKEN
    return ident, value
