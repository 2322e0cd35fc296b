"""Whole-page cache of the public blog pages, for visitors who are not logged in.

A visitor without a session cookie sees the same home, post, tag and author page
as every other such visitor, so the rendered page is kept (in memory, or in Redis
when configured) under the content version, the scheme, the host and the path.
Any change to public content gives the content a new version in the same
transaction (site/models.py), which retires every cached page at once: at once
in this process, and within ``VERSION_CHECK_SECONDS`` in the others. A page never
outlives the next scheduled publication, so scheduled posts still appear on time.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from inkstand import metrics, runtime
from inkstand.blog import reading
from inkstand.extensions import cache, db
from inkstand.site import context as site_context
from inkstand.site import services as site_services
from inkstand.site.models import content_change_listeners

CACHEABLE = frozenset(
    {
        "blog.index", "blog.show", "blog.tag", "blog.author",
        "discovery.site_feed", "discovery.tag_feed", "discovery.author_feed",
        "discovery.sitemap", "discovery.sitemap_file", "discovery.robots",
        "discovery.archive", "discovery.month", "pages.show", "pages.manifest",
    }
)  # fmt: skip
# The only query arguments these pages read; any other makes a request uncacheable,
# so junk arguments cannot fill the cache with copies of one page.
PAGE_ARGUMENTS = frozenset({"before", "after"})
VERSION_CHECK_SECONDS = 1.0
# A feed's validators are kept so that a kept feed still answers If-None-Match with a 304.
KEPT_HEADERS = ("Content-Type", "Vary", "ETag", "Last-Modified", "Cache-Control")


class ContentVersion:
    """This process's view of the content version, re-read at most once a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = ""
        self._checked = float("-inf")
        self._next_publication: tuple[str, datetime | None] | None = None

    def forget(self) -> None:
        self._checked = float("-inf")

    def current(self) -> str:
        if time.monotonic() - self._checked > VERSION_CHECK_SECONDS:
            value = site_services.content_version(db.session)
            with self._lock:
                self._value, self._checked = value, time.monotonic()
        return self._value

    def next_publication(self, version: str, now: datetime) -> datetime | None:
        """When the next scheduled post goes out, as known for this version."""
        known = self._next_publication
        if known is None or known[0] != version or (known[1] is not None and known[1] <= now):
            known = (version, reading.next_publication(db.session, now))
            self._next_publication = known
        return known[1]


def init_app(app: Flask) -> None:
    if not app.config["PAGE_CACHE_SECONDS"]:
        return
    version = ContentVersion()
    app.extensions["inkstand.pagecache"] = version
    app.extensions[site_context.CONTENT_VERSION] = version  # the settings follow it too
    content_change_listeners.append(version.forget)
    app.before_request(_serve_cached)
    app.after_request(_store)


def content_version() -> ContentVersion | None:
    """This process's view of the content version; None with the page cache off."""
    found: ContentVersion | None = current_app.extensions.get("inkstand.pagecache")
    return found


def _version() -> ContentVersion:
    found: ContentVersion = current_app.extensions["inkstand.pagecache"]
    return found


def content_state(now: datetime) -> tuple[str, datetime | None] | None:
    """Public content as this process knows it at ``now``: the content version and the
    next scheduled publication known for it, which between them move whenever anything
    a visitor sees does. None when the page cache, which reads the version, is off."""
    version: ContentVersion | None = current_app.extensions.get("inkstand.pagecache")
    if version is None:
        return None
    current = version.current()
    return current, version.next_publication(current, now)


def _eligible() -> bool:
    """A GET of a public page by a visitor who carries no session of any kind."""
    config = current_app.config
    return (
        request.method == "GET"
        and request.endpoint in CACHEABLE
        and request.args.keys() <= PAGE_ARGUMENTS
        and config["SESSION_COOKIE_NAME"] not in request.cookies
        and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies
    )


def _key(version: str) -> str:
    args = "&".join(f"{name}={request.args[name]}" for name in sorted(request.args))
    return f"page:{version}:{request.scheme}://{request.host}{request.path}?{args}"


def _serve_cached() -> ResponseReturnValue | None:
    if not _eligible():
        return None
    entry = cache.get(_key(_version().current()))
    metrics.PAGE_CACHE.labels("miss" if entry is None else "hit").inc()
    if entry is None:
        return None
    body, headers = entry
    g.page_from_cache = True
    return Response(body, headers=headers).make_conditional(request)


def _store(response: Response) -> Response:
    if (
        g.get("page_from_cache")
        or response.status_code != 200
        or response.direct_passthrough
        or "Set-Cookie" in response.headers
        or not _eligible()
    ):
        return response
    version = _version().current()
    now = runtime.now()
    timeout = current_app.config["PAGE_CACHE_SECONDS"]
    upcoming = _version().next_publication(version, now)
    if upcoming is not None:
        timeout = min(timeout, max(1, int((upcoming - now).total_seconds())))
    headers = [(name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers]
    cache.set(_key(version), (response.get_data(), headers), timeout=timeout)
    return response
