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

import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.http import parse_cookie
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_host

from inkstand import logs, metrics, runtime
from inkstand.blog import reading
from inkstand.extensions import cache, db
from inkstand.site import context as site_context
from inkstand.site import services as site_services
from inkstand.site.models import content_change_listeners

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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
# Headers that are each request's own, never kept with a page (a feed's validators
# add a Date the server sends anyway).
PER_REQUEST = frozenset({
    logs.HEADER.lower(), "set-cookie", "retry-after", "date",
    "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
})  # fmt: skip
# Paths whose route this process has looked up: junk paths cannot grow it past this.
ROUTES_REMEMBERED = 4096
KEY = "inkstand.page_key"  # the environ key of a looked-up page's key
KEEP = "inkstand.page_to_keep"  # ... and of the page _keep marked to keep
LISTENERS = "inkstand.pagecache.listeners"


class ContentVersion:
    """This process's view of the content version, re-read at most once a second."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = ""
        self._checked = float("-inf")
        self._next_publication: tuple[str, datetime | None] | None = None

    def forget(self) -> None:
        self._checked = float("-inf")

    def known(self) -> str | None:
        """The version if it was read less than ``VERSION_CHECK_SECONDS`` ago, else None."""
        if time.monotonic() - self._checked > VERSION_CHECK_SECONDS:
            return None
        return self._value

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
    """Keep pages with the cache on (PAGE_CACHE_SECONDS). Called before the metrics'
    middleware wraps the app, so that it times and counts a kept page too."""
    if not app.config["PAGE_CACHE_SECONDS"]:
        return
    version = ContentVersion()
    app.extensions["inkstand.pagecache"] = version
    app.extensions[site_context.CONTENT_VERSION] = version  # the settings follow it too
    content_change_listeners.append(version.forget)
    app.wsgi_app = KeptPages(app.wsgi_app, app, version)  # type: ignore[method-assign]
    app.after_request(_keep)


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


def on_hit(app: Flask, listener: HitListener) -> None:
    """Call ``listener`` with the WSGI environment and the page of every kept page
    answered (analytics counts them as views)."""
    app.extensions.setdefault(LISTENERS, []).append(listener)


HitListener = Callable[[Flask, "WSGIEnvironment", "KeptPage"], None]


class KeptPage(NamedTuple):
    """A page as kept: what is sent, and what the request that drew it knew of it."""

    body: bytes
    headers: tuple[tuple[str, str], ...]  # as sent, less what is the request's own
    path: str  # the request's path, decoded
    rule: str  # the route's pattern, for the metrics
    post_slug: str  # the post a post's page shows, else ""

    @property
    def mimetype(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.split(";", 1)[0].strip().lower()
        return ""


class KeptPages:
    """WSGI middleware in front of Flask: answer a visitor's GET from a kept page.

    A hit costs a look-up and no more: no request context, no routing, no hooks. It is
    safe because a page is only ever kept by the request that drew it, through every
    check Flask runs: a host the site does not answer to, a route that is not one of
    ``CACHEABLE``, an error, a cookie set: none is kept, so none is found. What a hit
    sends is what that request sent, headers and all, less the request id, which each
    request gets its own. A request that carries a session or a body, or arguments no
    page reads, is not looked up. The first request in each process goes through Flask
    so that the process's periodic work starts (jobs.Every) before any hit."""

    def __init__(self, wsgi: WSGIApplication, app: Flask, version: ContentVersion) -> None:
        self.wsgi = wsgi
        self.app = app
        self.version = version
        self._warm_in = -1  # the process that has answered a request through Flask
        self._store: Any = None  # the cache's storage, found on the first hit
        self._sessions = frozenset({
            app.config["SESSION_COOKIE_NAME"],
            app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        })  # fmt: skip
        self._answers_kept = lru_cache(maxsize=ROUTES_REMEMBERED)(self._cacheable)
        self._routes: MapAdapter | None = None

    def _cacheable(self, path: str) -> bool:
        """Whether a GET of ``path`` goes to a route whose pages are kept."""
        if self._routes is None:  # bound on first use: the blueprints add rules after
            self._routes = self.app.url_map.bind("inkstand.invalid")
        try:
            endpoint, _ = self._routes.match(path, method="GET")
        except HTTPException:  # no route, another method's, a redirect
            return False
        return endpoint in CACHEABLE

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self._through_flask(environ, start_response)
        page = self._kept(key) if self._warm_in == os.getpid() else None
        metrics.PAGE_CACHE.labels("miss" if page is None else "hit").inc()
        if page is not None:
            return self._answer(page, environ, start_response)
        environ[KEY] = key
        return self._through_flask(environ, self._keeping(environ, start_response))

    def _through_flask(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        answer = self.wsgi(environ, start_response)
        self._warm_in = os.getpid()
        return answer

    def _kept(self, key: str) -> KeptPage | None:
        if self._store is None:  # the cache's own storage: a hit has no app context
            self._store = self.app.extensions["cache"][cache]
        page = self._store.get(key)
        return page if isinstance(page, KeptPage) else None

    def _key(self, environ: WSGIEnvironment) -> str | None:
        """The kept page's key for this request; None for a request no kept page may
        answer."""
        if environ.get("REQUEST_METHOD") != "GET" or _has_body(environ):
            return None
        if not self._answers_kept(_path(environ)):
            return None
        if "HTTP_COOKIE" in environ and not self._sessions.isdisjoint(parse_cookie(environ)):
            return None
        arguments = sorted(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        names = {name for name, _ in arguments}
        # A repeated name too: Flask reads its first value, which sorting would hide.
        if not names <= PAGE_ARGUMENTS or len(names) != len(arguments):
            return None
        try:
            host = get_host(environ)
        except SecurityError:
            return None
        version = self.version.known()
        if version is None:
            try:
                with self.app.app_context():
                    version = self.version.current()
            except SQLAlchemyError:  # Flask answers, with the error pages' 503
                return None
        scheme = environ.get("wsgi.url_scheme", "http")
        return f"kept:{version}:{scheme}://{host}{_path(environ)}?{urlencode(arguments)}"

    def _keeping(self, environ: WSGIEnvironment, start_response: StartResponse) -> StartResponse:
        """A start_response that keeps the page _keep marked, with the headers as sent
        (Flask writes the session cookie after the after-request hooks)."""

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            marked: tuple[KeptPage, int] | None = environ.pop(KEEP, None)
            if (
                marked is not None
                and status.startswith("200 ")
                and not any(name.lower() == "set-cookie" for name, _ in headers)
            ):
                page, timeout = marked
                kept = tuple((n, v) for n, v in headers if n.lower() not in PER_REQUEST)
                cache.set(environ[KEY], page._replace(headers=kept), timeout=timeout)
            return start_response(status, headers, exc_info)

        return start

    def _answer(
        self, page: KeptPage, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        environ[metrics.ROUTE_KEY] = page.rule
        for listener in self.app.extensions.get(LISTENERS, ()):
            listener(self.app, environ, page)
        headers = [
            *page.headers,
            (logs.HEADER, logs.id_for(environ, self.app.config["PROXY_COUNT"])),
        ]
        if "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ:
            response = Response(page.body, headers=headers).make_conditional(environ)
            return response(environ, start_response)
        start_response("200 OK", headers)
        return [page.body]


def _path(environ: WSGIEnvironment) -> str:
    """The request's path, decoded as Flask decodes it."""
    return "/" + environ.get("PATH_INFO", "").encode("latin-1").decode(errors="replace").lstrip("/")


def _has_body(environ: WSGIEnvironment) -> bool:
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or "HTTP_TRANSFER_ENCODING" in environ


def _keep(response: Response) -> Response:
    """Mark a page to keep: a cacheable route's 200 for a request KeptPages looked up.
    It is kept as it is sent (KeptPages._keeping), unless it sets a cookie."""
    if (
        KEY not in request.environ
        or request.endpoint not in CACHEABLE
        or response.status_code != 200
        or response.direct_passthrough
    ):
        return response
    version = _version()
    now = runtime.now()
    timeout = current_app.config["PAGE_CACHE_SECONDS"]
    upcoming = version.next_publication(version.current(), now)
    if upcoming is not None:
        timeout = min(timeout, max(1, int((upcoming - now).total_seconds())))
    rule = request.url_rule.rule if request.url_rule is not None else ""
    slug = (request.view_args or {}).get("slug", "") if request.endpoint == "blog.show" else ""
    page = KeptPage(response.get_data(), (), request.path, rule, slug)
    request.environ[KEEP] = (page, timeout)
    return response
