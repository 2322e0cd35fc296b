"""The home page's featured posts, read once per content version per process.

Which posts are featured, and everything their summaries show, is public content: any
change to it gives the content a new version (site/models.py). So with the page cache
on, each process keeps the featured posts it read under the version they were read
at, as it keeps the site settings (site/context.py), and reads them again when the
version moves (at once in the process that made the change, within the page cache's
version check in the others) or when the next scheduled post goes out (it may be a
featured one). They are read in a session of their own and kept detached, with
everything a summary shows loaded, so that no request's session expires or changes
them. Without the page cache they are read on every request.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session

from inkstand.blog import pagecache, reading
from inkstand.blog.models import Post
from inkstand.extensions import db

KEPT = "inkstand.featured"


class Kept:
    """The featured posts this process last read: the content version and the limit
    they were read at, when the next scheduled post goes out, and the posts."""

    def __init__(self) -> None:
        self.read: tuple[str, int, datetime | None, list[Post]] | None = None


def init_app(app: Flask) -> None:
    app.extensions[KEPT] = Kept()


def posts(now: datetime, limit: int) -> list[Post]:
    """The newest ``limit`` featured posts listed at ``now``, with their authors."""
    version = pagecache.content_version()
    if version is None:
        return reading.featured(db.session, now, limit)
    kept: Kept = current_app.extensions[KEPT]
    current = version.current()  # first: a change after it makes the next request read again
    read = kept.read
    if read is None or read[:2] != (current, limit) or (read[2] is not None and read[2] <= now):
        with Session(db.engine) as session:
            found = reading.featured(session, now, limit)
        read = (current, limit, version.next_publication(current, now), found)
        kept.read = read
    return read[3]
