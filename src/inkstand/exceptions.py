"""Domain errors raised by services. ``errors.py`` turns them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Unauthenticated(DomainError):
    """Credentials needed and not sent, or sent and not good: a token that is malformed,
    unknown, revoked or expired, a wrong password. ``reason`` names what was wrong with
    credentials that were sent, as RFC 6750 does ("invalid_request", "invalid_token")."""

    status = 401
    title = "Unauthorized"

    def __init__(self, message: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Invalid(DomainError):
    """Input that breaks a rule; ``errors`` maps each field to its messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message or "; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls({name: [message]})


class Moved(DomainError):
    """The thing asked for now lives under another key (an old slug, an old username);
    ``key`` names the URL argument that holds it."""

    status = 301
    title = "Moved permanently"

    def __init__(self, new_key: str, key: str = "slug") -> None:
        super().__init__(new_key)
        self.new_key = new_key
        self.key = key


class Conflict(DomainError):
    """A save over a version newer than the one it was based on: someone else saved
    in between. ``current`` is the version now stored."""

    status = 409
    title = "Conflict"

    def __init__(self, current: int, message: str | None = None) -> None:
        super().__init__(message or "Someone else saved this post after you opened it.")
        self.current = current
