"""This request's site settings, for views and templates (as `site`).

With the page cache on, each process keeps the settings it read under the content
version they were read at: any change of a setting gives the content a new version
(site/models.py), so a process reads them again when the version moves, at once in
the process that made the change and within the page cache's version check (a
second) in the others. Without the page cache they are read once per request.
"""

from __future__ import annotations

import threading
from typing import Protocol

from flask import Flask, current_app, g

from inkstand.extensions import db
from inkstand.site import services
from inkstand.site.services import SiteConfig

# Where the page cache keeps this process's view of the content version.
CONTENT_VERSION = "inkstand.content_version"
KEPT = "inkstand.site"


class Version(Protocol):
    def current(self) -> str: ...


class Kept:
    """The settings this process last read, and the content version they were read at."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read: tuple[str, SiteConfig] | None = None


def init_app(app: Flask) -> None:
    app.extensions[KEPT] = Kept()
    app.context_processor(lambda: {"site": site_settings})


def site_settings() -> SiteConfig:
    """This request's site settings, read once per request at most."""
    if "site" not in g:
        g.site = _settings()
    config: SiteConfig = g.site
    return config


def _settings() -> SiteConfig:
    version: Version | None = current_app.extensions.get(CONTENT_VERSION)
    if version is None:
        return services.load(db.session)
    kept: Kept = current_app.extensions[KEPT]
    current = version.current()  # first: a change after it makes the next request read again
    read = kept.read
    if read is None or read[0] != current:
        read = (current, services.load(db.session))
        with kept.lock:
            kept.read = read
    return read[1]
