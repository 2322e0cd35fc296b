"""Reading the RealWorld API's request bodies and query arguments.

Shape only (a JSON object, strings where strings belong, numbers in range);
every rule about the values themselves is the services'. Raises Invalid.
"""

from __future__ import annotations

from typing import Any

from flask import request

from inkstand import inputs
from inkstand.exceptions import Invalid
from inkstand.http import json_body

LIMIT_DEFAULT = 20
LIMIT_MAX = 100
OFFSET_MAX = 100_000
TAGS_MAX = 50  # more than a post takes (the service says how many); bounds the work


def _text(value: str) -> str:
    """Without NUL, which no stored text holds and PostgreSQL refuses even to compare
    (the site's forms drop it the same way)."""
    return value.replace("\x00", "")


def member(name: str) -> dict[str, Any]:
    """The object sent as ``{"<name>": {...}}``. Raises Invalid (naming the body), or
    the errors of http.json_body for a body that is not JSON."""
    data = json_body()
    found = data.get(name) if isinstance(data, dict) else None
    if not isinstance(found, dict):
        raise Invalid.field("body", f"Send a JSON object with an “{name}” object in it.")
    return found


def strings(
    data: dict[str, Any], required: tuple[str, ...] = (), optional: tuple[str, ...] = ()
) -> dict[str, str]:
    """The named string members of ``data``; a missing optional one is left out."""
    found: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for name in (*required, *optional):
        value = data.get(name)
        if value is None and name in optional:
            continue
        if not isinstance(value, str):
            problems[name] = ["is required" if value is None else "must be a string"]
        else:
            found[name] = _text(value)
    if problems:
        raise Invalid(problems)
    return found


def tag_list(data: dict[str, Any]) -> list[str] | None:
    """``tagList``, the tag names; None when not sent."""
    value = data.get("tagList")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > TAGS_MAX
        or not all(isinstance(tag, str) and "," not in tag for tag in value)
    ):
        raise Invalid.field("tagList", "must be a list of tag names")
    return [_text(tag) for tag in value]


def argument(name: str) -> str | None:
    """A text argument of the query string; None when absent or empty."""
    value = _text(request.args.get(name, ""))
    return value or None


def _number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    number = inputs.whole_number(raw, low, high)
    if number is None:
        raise Invalid.field(name, f"must be a whole number from {low} to {high}")
    return number


def page() -> tuple[int, int]:
    """``limit`` and ``offset`` from the query string."""
    return _number("limit", LIMIT_DEFAULT, 1, LIMIT_MAX), _number("offset", 0, 0, OFFSET_MAX)
