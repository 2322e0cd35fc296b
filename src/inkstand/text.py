"""Plain-text clean-up shared by every service that stores what people type."""

from __future__ import annotations

import re

# C0 control characters and DEL, but not tab, line feed or carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: str) -> str:
    """``value`` without control characters (PostgreSQL refuses NUL outright)
    and without surrounding white space."""
    return CONTROL.sub("", value).strip()
