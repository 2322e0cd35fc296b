"""Time zones: the IANA names an account may choose, and a time shown in one.

Times are stored in UTC; a writer sees the times she schedules in her own zone beside
UTC. The names are those of the system's zoneinfo database (or the tzdata package).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import cache

DEFAULT = "UTC"


@cache
def names() -> tuple[str, ...]:
    """Every zone an account may choose, UTC first, then by name."""
    found = zoneinfo.available_timezones() - {DEFAULT}
    return (DEFAULT, *sorted(name for name in found if "/" in name))


def is_zone(name: str) -> bool:
    return name in names()


def in_zone(moment: datetime, name: str) -> datetime:
    """``moment`` on the clocks of the zone ``name`` (UTC for a name not known)."""
    zone = zoneinfo.ZoneInfo(name) if is_zone(name) and name != DEFAULT else UTC
    return moment.astimezone(zone)


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def describe(moment: datetime, name: str) -> str:
    """A time as a writer reads it: in her zone, and in UTC beside it when that differs,
    e.g. "Tuesday 8 December 2026 at 09:30 Europe/Paris (08:30 UTC)"."""
    utc = moment.astimezone(UTC)
    if not is_zone(name) or name == DEFAULT:
        return f"{_day(utc)} at {utc:%H:%M} UTC"
    local = in_zone(moment, name)
    beside = f"{utc:%H:%M} UTC" if local.date() == utc.date() else f"{_day(utc)}, {utc:%H:%M} UTC"
    return f"{_day(local)} at {local:%H:%M} {name.replace('_', ' ')} ({beside})"
