"""Signed stamps of when a comment form was shown, for the minimum-time spam rule."""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer


class FormStamps:
    """A stamp names the post, the account and the second the form was shown, signed,
    so a script can neither forge an old one nor reuse one across posts or accounts."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="inkstand.comment-form")

    def issue(self, post_id: int, user_id: int, now: datetime) -> str:
        return self._serializer.dumps([post_id, user_id, int(now.timestamp())])

    def shown_at(self, stamp: str, post_id: int, user_id: int) -> datetime | None:
        """When the form with ``stamp`` was shown, or None if the stamp is not one
        this site issued for this post and account."""
        try:
            data = self._serializer.loads(stamp)
        except BadSignature:
            return None
        if (
            not isinstance(data, list)
            or len(data) != 3
            or data[:2] != [post_id, user_id]
            or not isinstance(data[2], int)
        ):
            return None
        try:
            return datetime.fromtimestamp(data[2], UTC)
        except (OverflowError, OSError, ValueError):
            return None
