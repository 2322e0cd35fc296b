"""Reading what a request carries, one way for every door: JSON bodies and whole
numbers. Plain Python: ``http.py`` wires it into Flask's requests, the API parsers and
the URL converters.

- JSON: at most ``JSON_DEPTH`` levels of arrays and objects (a body of a thousand
  brackets would otherwise exhaust the parser's recursion), and only text UTF-8 can
  encode: JSON's ``\\u`` escapes allow a lone surrogate (``"\\ud800"``), which no
  database, sanitiser or password hasher takes.
- Numbers: ASCII digits only. Python's ``int()`` and ``str.isdecimal()`` also take
  other scripts' digits (``"١٢"``), and ``str.isdigit()`` takes superscripts that
  ``int()`` then refuses.
"""

from __future__ import annotations

import json
import re
from typing import Any

from inkstand.db import ID_MAX
from inkstand.exceptions import Invalid

# No door takes more than a few levels ({"article": {"tagList": [...]}}).
JSON_DEPTH = 16
TOO_DEEP = f"Nest arrays and objects at most {JSON_DEPTH} levels deep."
NOT_UNICODE = "Use valid Unicode text."
_DIGITS = re.compile(r"[0-9]+")


class NotJson(ValueError):
    """What was sent is not a JSON document."""


def loads(data: bytes | str) -> Any:
    """The JSON document ``data``. Raises NotJson when it is not JSON (or not UTF-8),
    and Invalid when it nests too deeply or holds text that is not valid Unicode."""
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8")  # strictly: no surrogate smuggled in as bytes
        document = json.loads(data, parse_constant=_no_constant)
    except RecursionError as exc:
        raise Invalid.field("body", TOO_DEEP) from exc
    except ValueError as exc:  # also a number past Python's 4,300 digits
        raise NotJson(str(exc)) from exc
    _check(document)
    return document


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check(document: Any) -> None:
    """Raises Invalid, naming where, for nesting past JSON_DEPTH or a string (a value
    or a key) that is not valid Unicode. Walked with a stack: no recursion."""
    waiting: list[tuple[Any, str, int]] = [(document, "", 0)]
    while waiting:
        value, where, depth = waiting.pop()
        if isinstance(value, str):
            if not valid_text(value):
                raise Invalid.field(where or "body", NOT_UNICODE)
            continue
        if isinstance(value, dict):
            items: list[tuple[Any, Any]] = list(value.items())
        elif isinstance(value, list):
            items = list(enumerate(value))
        else:
            continue
        if depth >= JSON_DEPTH:
            raise Invalid.field(where or "body", TOO_DEEP)
        for key, item in items:
            name = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and not valid_text(key):
                raise Invalid.field(where or "body", NOT_UNICODE)
            waiting.append((item, name, depth + 1))


def valid_text(value: str) -> bool:
    """Whether ``value`` is text UTF-8 can encode (no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def whole_number(text: str, low: int = 0, high: int = ID_MAX) -> int | None:
    """The number ``text`` writes in ASCII digits, if it is one from ``low`` to ``high``;
    else None. No sign, space, underscore or other script's digits."""
    if len(text) > len(str(high)) or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def numbers_up_to(high: int) -> str:
    """A regular expression matching exactly the numbers from 1 to ``high`` written in
    ASCII digits without leading zeros: for URL rules, so that an id out of range
    matches no route at all."""
    digits = str(high)
    parts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for at, digit in enumerate(digits):
        lowest = 1 if at == 0 else 0
        if int(digit) > lowest:  # this prefix, a smaller digit here, then any digits
            below = f"[{lowest}-{int(digit) - 1}]"
            parts.append(f"{digits[:at]}{below}[0-9]{{{len(digits) - at - 1}}}")
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"
