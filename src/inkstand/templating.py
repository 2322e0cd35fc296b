"""What every template can use: versioned static URLs, the site, dates."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, g, has_request_context, url_for

from inkstand import preload, runtime
from inkstand.accounts import zones
from inkstand.db import ID_MAX

STATIC = Path(__file__).parent / "static"


@cache
def _fingerprint(filename: str) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """A static file's URL carrying its content hash, so it can be cached for a year."""
    return url_for("static", filename=filename, v=_fingerprint(filename))


_PLACEHOLDER = "__inkstand_key__"


def link(endpoint: str, **values: str | int) -> str:
    """``url_for`` for one-argument routes linked in a loop (a post, a tag, an
    author, a comment per list item): the URL is built once per request and
    endpoint, then only the value is quoted into it, which is what url_for would do."""
    ((name, value),) = values.items()
    patterns: dict[str, tuple[str, str]] = g.setdefault("link_patterns", {})
    if endpoint not in patterns:
        # An int route argument takes only a number: the largest id stands in for it.
        marker = str(ID_MAX) if isinstance(value, int) else _PLACEHOLDER
        placeholder: dict[str, Any] = {name: marker}
        head, _, tail = url_for(endpoint, **placeholder).partition(marker)
        patterns[endpoint] = (head, tail)
    head, tail = patterns[endpoint]
    return f"{head}{quote(str(value), safe='')}{tail}"


def absolute_url(endpoint: str, **values: Any) -> str:
    """A full URL on the site's one trusted origin: SITE_URL, else the request's own
    host, which http.py has already checked against the trusted hosts (a request
    naming another is refused before it gets here). Outside a request (a background
    job) it needs SITE_URL, or SERVER_NAME."""
    base: str = current_app.config["SITE_URL"].rstrip("/")
    if base and not has_request_context():
        anchor = values.pop("_anchor", None)
        path = current_app.url_map.bind("localhost").build(endpoint, values)
        return base + path + (f"#{quote(anchor, safe='')}" if anchor else "")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def absolute_link(endpoint: str, **values: str | int) -> str:
    """``link`` on the site's trusted origin (that of ``absolute_url``), for absolute
    URLs repeated in a loop: feeds, the sitemap."""
    if "link_origin" not in g:
        home = url_for("blog.index")
        g.link_origin = absolute_url("blog.index").removesuffix(home)
    origin: str = g.link_origin
    return origin + link(endpoint, **values)


def date(value: datetime | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def clock(value: datetime | None) -> str:
    """The time of day, in UTC, as a badge shows it."""
    return f"{value.astimezone(UTC):%H:%M} UTC" if value else ""


def zoned(value: datetime | None) -> str:
    """A time in the viewer's own time zone beside UTC (UTC alone for a visitor)."""
    if value is None:
        return ""
    user = runtime.user()
    return zones.describe(value, user.time_zone if user is not None else zones.DEFAULT)


def init_app(app: Flask) -> None:
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", 365 * 24 * 3600)
    app.jinja_env.globals.update(
        static_url=static_url, absolute_url=absolute_url, absolute_link=absolute_link, link=link
    )
    app.jinja_env.filters.update(date=date, iso=iso, clock=clock, zoned=zoned)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(_context)
    preload.add(app, compile_templates)


def compile_templates(app: Flask) -> None:
    """Compile every template (Jinja compiles each on its first use, then keeps it)."""
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)


def _context() -> dict[str, Any]:
    return {"viewer": runtime.user, "now": runtime.now}
