"""Problem details (RFC 9457): how every error of the native API is written.

Each kind of error has a stable ``type`` URI, documented in docs/api.md; clients
branch on it, not on the human-readable ``title`` and ``detail``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, json

PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"
# Relative to the site; each resolves to a short description of its kind.
TYPE_BASE = PREFIX + "/problems/"

# status -> (kind, title) for errors that have no more specific kind.
BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "The request could not be understood"),
    401: ("unauthorized", "A valid access token is needed"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Changed since the ETag sent in If-Match"),
    413: ("too-large", "Request body too large"),
    414: ("uri-too-long", "Request line too long"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid", "Some of what was sent is not valid"),
    429: ("rate-limited", "Too many requests"),
    431: ("request-header-fields-too-large", "Request headers too large"),
    500: ("server-error", "Internal error"),
}
# Kinds more specific than their status.
KINDS: dict[str, str] = {
    "malformed-json": "The body is not valid JSON",
    "invalid-cursor": "The cursor is broken or out of date",
    "read-only-token": "This token may only read",
}


def applies(path: str) -> bool:
    """Whether a request path belongs to the native API, whose errors are problems."""
    return path == PREFIX or path.startswith(PREFIX + "/")


def response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response."""
    default_kind, title = BY_STATUS.get(status, ("error", "Error"))
    kind = kind or default_kind
    document: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": KINDS.get(kind, title),
        "status": status,
        "detail": detail,
    }
    if errors:
        document["errors"] = dict(errors)
    return Response(
        json.dumps(document), status=status, mimetype=MEDIA_TYPE, headers=dict(headers or {})
    )


def _name(prefix: str, key: Any) -> str:
    if key == "_schema":  # marshmallow's name for the object itself, not a field of it
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages into ``{"field.sub": [messages]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            for field, found in field_errors(value, _name(prefix, key)).items():
                flat.setdefault(field, []).extend(found)
    elif isinstance(messages, list | tuple):
        texts = [str(m) for m in messages if not isinstance(m, Mapping | list | tuple)]
        if texts:
            flat[prefix or "body"] = texts
        for m in messages:
            if isinstance(m, Mapping | list | tuple):
                for field, found in field_errors(m, prefix).items():
                    flat.setdefault(field, []).extend(found)
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat
