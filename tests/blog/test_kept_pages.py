"""Kept pages answered in front of Flask (pagecache.KeptPages): a hit sends what the
request that drew the page sent, and nothing Flask would have refused is answered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response, session
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from inkstand.blog import pagecache
from inkstand.extensions import cache
from tests.helpers import Factory, page_cached_app, recorded_sql
from tests.pages.helpers import make_page

HOSTS = ("localhost", "one.example")


@pytest.fixture(params=["memory", "redis"])
def cached_app(request, database_url, tmp_path) -> Iterator[Flask]:
    with page_cached_app(
        request.param, tmp_path, database_url, SERVER_NAME=None, TRUSTED_HOSTS=HOSTS
    ) as app:
        yield app


@pytest.fixture
def site(cached_app: Flask) -> dict[str, str]:
    """A page of every route whose pages are kept, keyed by the route's endpoint."""
    factory = Factory(cached_app)
    ada = factory.user("admin", username="ada")
    post = factory.post(ada, "Kept", tags="python")
    make_page(ada, "About")
    month = post.published_at.strftime("%Y/%m")
    return {
        "blog.index": "/",
        "blog.show": f"/posts/{post.slug}",
        "blog.tag": "/tags/python",
        "blog.author": "/authors/ada",
        "discovery.site_feed": "/atom.xml",
        "discovery.tag_feed": "/tags/python/rss.xml",
        "discovery.author_feed": "/authors/ada/atom.xml",
        "discovery.sitemap": "/sitemap.xml",
        "discovery.sitemap_file": "/sitemaps/posts.xml",
        "discovery.robots": "/robots.txt",
        "discovery.archive": "/archive",
        "discovery.month": f"/archive/{month}",
        "pages.show": "/about",
        "pages.manifest": "/site.webmanifest",
    }


def hits() -> float:
    """Kept pages answered so far in this process."""
    found = REGISTRY.get_sample_value("inkstand_page_cache_lookups_total", {"result": "hit"})
    return found or 0.0


def sent(response: Any) -> list[tuple[str, str]]:
    """What a response sends less what is each request's own (its id; a Date, which
    the server adds to every answer)."""
    return sorted(
        (n, v) for n, v in response.headers.items() if n.lower() not in pagecache.PER_REQUEST
    )


def test_every_kept_route_sends_on_a_hit_what_it_sent_when_drawn(cached_app, site):
    """Every route of the URL map whose pages are kept, not a list of today's: a route
    added to CACHEABLE without an example here fails the first assertion."""
    routes = {rule.endpoint for rule in cached_app.url_map.iter_rules()}
    assert routes >= pagecache.CACHEABLE
    assert set(site) == pagecache.CACHEABLE
    client = cached_app.test_client()
    for endpoint, url in site.items():
        drawn = client.get(url)
        assert drawn.status_code == 200, endpoint
        with recorded_sql() as statements:
            hit = client.get(url)
        assert statements == [], f"{endpoint}: not a hit"
        assert hit.status_code == 200
        assert hit.get_data() == drawn.get_data(), endpoint
        assert sent(hit) == sent(drawn), endpoint
        assert "Content-Security-Policy" in hit.headers
        assert hit.headers["X-Request-ID"] != drawn.headers["X-Request-ID"]


def test_a_forged_host_is_refused_even_when_the_page_is_kept(cached_app, site):
    client = cached_app.test_client()
    client.get("/")
    before = hits()
    assert client.get("/").status_code == 200
    assert hits() == before + 1  # kept, for the host the site answers to
    for host in ("evil.example", "one.example.evil.example", "localhost@evil.example"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host
    assert hits() == before + 1


def test_a_forwarded_host_is_refused_behind_a_proxy_even_when_the_page_is_kept(
    database_url, tmp_path
):
    with page_cached_app(
        "memory", tmp_path, database_url, SERVER_NAME=None, TRUSTED_HOSTS=HOSTS, PROXY_COUNT=1
    ) as app:
        Factory(app).post(Factory(app).user(), "Kept")
        client = app.test_client()
        assert client.get("/", headers={"X-Forwarded-Host": "one.example"}).status_code == 200
        with recorded_sql() as statements:
            kept = client.get("/", headers={"X-Forwarded-Host": "one.example"})
            forged = client.get("/", headers={"X-Forwarded-Host": "evil.example"})
        assert kept.status_code == 200
        assert forged.status_code == 400
        assert 'href="http://evil.example' not in forged.get_data(as_text=True)
        assert statements == []  # the kept page; the refusal before any query


def test_only_a_plain_get_without_a_session_is_answered_from_a_kept_page(cached_app, site):
    cached_app.test_client().get("/")
    asked: dict[str, Any] = {
        "a session": {"cookie": ("session", "x")},
        "a remembered log-in": {"cookie": ("remember_token", "x")},
        "a body": {"data": "x=1"},
        "an argument no page reads": {"query_string": {"junk": "1"}},
        "another method": {"method": "HEAD"},
    }
    for what, how in asked.items():
        client = cached_app.test_client()
        if "cookie" in how:
            client.set_cookie(*how.pop("cookie"))
        before = hits()
        assert client.open("/", **{"method": "GET", **how}).status_code == 200
        assert hits() == before, f"{what}: answered from the kept page"
    client = cached_app.test_client()
    client.set_cookie("theme", "dark")
    before = hits()
    client.get("/")
    assert hits() == before + 1  # another cookie is no session


@pytest.mark.parametrize("how", ["a header", "the session"])
def test_a_page_that_sets_a_cookie_is_not_kept(cached_app, site, monkeypatch, how):
    """Flask writes the session's cookie after every after-request hook: the page is
    judged by the headers it is sent with."""

    @cached_app.after_request
    def set_cookie(response: Response) -> Response:
        if how == "a header":
            response.set_cookie("seen", "1")
        else:
            session["seen"] = True
        return response

    stored: list[str] = []
    monkeypatch.setattr(cache, "set", lambda key, *a, **kw: stored.append(key))
    answer = cached_app.test_client().get("/")
    assert answer.status_code == 200
    assert ("session=" if how == "the session" else "seen=") in answer.headers["Set-Cookie"]
    assert stored == []


def test_a_hit_is_counted_under_its_route(cached_app, site):
    def counted(route: str) -> float:
        found = REGISTRY.get_sample_value(
            "inkstand_http_requests_total", {"route": route, "method": "GET", "status": "200"}
        )
        return found or 0.0

    client = cached_app.test_client()
    client.get(site["blog.show"])
    before, hit = counted("/posts/<slug>"), hits()
    client.get(site["blog.show"])
    assert hits() == hit + 1
    assert counted("/posts/<slug>") == before + 1


def test_the_request_id_of_a_hit_is_its_own_or_the_trusted_proxys(database_url, tmp_path):
    with page_cached_app(
        "memory", tmp_path, database_url, SERVER_NAME=None, TRUSTED_HOSTS=HOSTS, PROXY_COUNT=1
    ) as app:
        client = app.test_client()
        client.get("/")
        before = hits()
        given = client.get("/", headers={"X-Request-ID": "edge-7f3a"})
        made = [client.get("/").headers["X-Request-ID"] for _ in range(2)]
        assert hits() == before + 3
        assert given.headers["X-Request-ID"] == "edge-7f3a"
        assert made[0] != made[1]


def test_a_kept_page_answers_304_to_its_validators(cached_app, site):
    client = cached_app.test_client()
    etag = client.get("/rss.xml").headers["ETag"]
    with recorded_sql() as statements:
        again = client.get("/rss.xml", headers={"If-None-Match": etag})
        other = client.get("/rss.xml", headers={"If-None-Match": '"other"'})
    assert statements == []
    assert again.status_code == 304
    assert again.get_data() == b""
    assert other.status_code == 200


def test_a_new_process_draws_its_first_page_before_answering_kept_ones(cached_app, site):
    """Its periodic work (jobs.Every) starts on the first request Flask answers; pages
    kept (in Redis: by another process) must not stand in for that request."""
    client = cached_app.test_client()
    client.get("/")
    kept_pages(cached_app)._warm_in = -1  # as in a process that has answered nothing yet
    before = hits()
    client.get("/")
    assert hits() == before, "the first request of a process was answered from the cache"
    client.get("/")
    assert hits() == before + 1


def kept_pages(app: Flask) -> pagecache.KeptPages:
    wsgi = app.wsgi_app
    while not isinstance(wsgi, pagecache.KeptPages):  # the middleware in front of Flask
        wsgi = getattr(wsgi, "wsgi", None) or wsgi.app
    return wsgi


def kept_key(app: Flask, url: str) -> str:
    path, _, query = url.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
               "HTTP_HOST": "localhost", "wsgi.url_scheme": "http"}  # fmt: skip
    key = kept_pages(app)._key(environ)
    assert key is not None
    return key


def test_a_kept_page_carries_none_of_the_requests_own_headers(cached_app, site):
    """Whatever the drawing request sent of its own (its id, a feed's Date, a cookie,
    a rate limit's count) is not sent again with each hit."""
    client = cached_app.test_client()
    for url in site.values():
        client.get(url)
        kept = cached_app.extensions["cache"][cache].get(kept_key(cached_app, url))
        assert isinstance(kept, pagecache.KeptPage), url
        names = {name.lower() for name, _ in kept.headers}
        assert not names & pagecache.PER_REQUEST, url


def test_an_entry_of_another_shape_is_a_miss(cached_app, site):
    """An entry left by an older release (or anything else under the key) is drawn
    again, never sent."""
    client = cached_app.test_client()
    client.get("/")
    cache.set(kept_key(cached_app, "/"), (b"old", [("Content-Type", "text/plain")]))
    before = hits()
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.get_data() != b"old"
    assert hits() == before
    client.get("/")
    assert hits() == before + 1  # kept again, in its own shape


def test_a_repeated_argument_is_not_looked_up(cached_app, site):
    """Flask reads the first of repeated values: two orders are two pages."""
    client = cached_app.test_client()
    for query in ("before=1-1&before=2-2", "before=2-2&before=1-1"):
        client.get(f"/?{query}")
    before = hits()
    client.get("/?before=1-1&before=2-2")
    assert hits() == before


def test_the_database_down_when_the_version_is_read_gives_the_503_page(
    cached_app, site, monkeypatch
):
    client = cached_app.test_client()
    client.get("/")

    def down(session: Any) -> str:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(pagecache.site_services, "content_version", down)
    monkeypatch.setattr(pagecache, "VERSION_CHECK_SECONDS", 0.0)
    answer = client.get("/")
    assert answer.status_code == 503
    assert "Retry-After" in answer.headers
