"""What every native API answer shares: problems, the OpenAPI document and its docs,
cookies ignored, ETags, CORS for reads and rate limits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from inkstand.blog import reading
from inkstand.http import CONTENT_SECURITY_POLICY
from tests.helpers import PROBLEM, Factory, app_with_limits, assert_problem, bearer, login

# Problems


def test_unknown_api_addresses_are_problems_and_site_pages_stay_html(call):
    assert_problem(call("GET", "/api/v1/no/such/thing"), 404, "not-found")
    wrong = call("PUT", "/api/v1/posts")
    assert_problem(wrong, 405, "method-not-allowed")
    assert "GET" in wrong.headers["Allow"]
    page = call("GET", "/no/such/page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert 'class="site-header"' in page.get_data(as_text=True)


def test_an_unexpected_error_is_a_problem_without_internals(call, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reading, "listing", broken)
    with caplog.at_level(logging.ERROR, logger="inkstand"):
        response = call("GET", "/api/v1/posts")
    assert_problem(response, 500, "server-error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert "secret internals" in caplog.text


@pytest.mark.parametrize(
    "kind",
    ["not-found", "unauthorized", "read-only-token", "invalid", "malformed-json", "rate-limited"],
)
def test_each_problem_type_resolves_to_its_description(call, kind):
    response = call("GET", f"/api/v1/problems/{kind}")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith(f"{kind}: ")


def test_an_unknown_problem_type_is_not_found(call):
    assert_problem(call("GET", "/api/v1/problems/made-up"), 404, "not-found")


# The OpenAPI document and the docs page


def test_the_document_covers_the_native_api_only(call, app):
    response = call("GET", "/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert paths == {
        "/api/v1/posts", "/api/v1/posts/{post_id}", "/api/v1/posts/by-slug/{slug}",
        "/api/v1/posts/{post_id}/publish", "/api/v1/posts/{post_id}/comments",
        "/api/v1/posts/{post_id}/restore",
        "/api/v1/tags", "/api/v1/users/{username}", "/api/v1/me", "/api/v1/search",
        "/api/v1/stats", "/api/v1/stats/posts/{post_id}", "/api/v1/pages",
        "/api/v1/pages/{page_id}", "/api/v1/subscriptions", "/api/v1/subscribers",
        "/api/v1/media", "/api/v1/media/{media_id}", "/api/v1/me/avatar",
    }  # fmt: skip
    site_rules = {r.rule for r in app.url_map.iter_rules() if not r.rule.startswith("/api/v1/")}
    assert site_rules, "the site has pages"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [op for path in document["paths"].values() for op in path.values()
                  if isinstance(op, dict)]  # fmt: skip
    operation_tags = {tag for op in operations for tag in op["tags"]}
    assert {t["name"] for t in document["tags"]} == operation_tags
    assert operation_tags == {
        "Posts", "Comments", "Pages", "Tags", "Users", "Search", "Stats", "Subscriptions",
        "Media",
    }  # fmt: skip
    errors = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert set(errors) == {PROBLEM}
    post = document["paths"]["/api/v1/posts"]["post"]
    assert set(post["responses"]["201"]["content"]) == {"application/json"}


def test_the_docs_page_loads_its_files_from_this_site_under_the_sites_csp(call):
    page = call("GET", "/api/v1/docs")
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = page.get_data(as_text=True)
    assert "<script>" not in html, "an inline script would be refused by the CSP"
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(s.startswith("/") or s == "data:," for s in sources), sources
    for source in sources:
        if source.startswith("/"):
            asset = call("GET", source)
            asset.close()  # a file sent as it is read
            assert asset.status_code == 200, source
    bundle = call("GET", "/api/v1/docs/assets/swagger-ui-bundle.js?v=1")
    bundle.close()
    assert bundle.mimetype in {"text/javascript", "application/javascript"}
    assert "max-age=31536000" in bundle.headers["Cache-Control"]
    assert_problem(call("GET", "/api/v1/docs/assets/../../secret_key"), 404, "not-found")
    assert_problem(call("GET", "/api/v1/docs/assets/index.html"), 404, "not-found")


# The session cookie is not a credential here


def test_a_logged_in_browser_cannot_write_or_read_through_the_api(call, client, factory):
    admin = factory.user("admin")
    factory.post(admin, "Draft", status="draft")
    login(client, admin)
    assert client.get("/manage").status_code == 200  # the session works on the site
    assert_problem(
        call("POST", "/api/v1/posts", json={"title": "x", "body": "y"}), 401, "unauthorized"
    )
    assert_problem(call("GET", "/api/v1/me"), 401, "unauthorized")
    assert_problem(call("GET", "/api/v1/posts?state=draft"), 403, "forbidden")
    assert "Set-Cookie" not in call("GET", "/api/v1/posts").headers


# Caching


def test_a_get_carries_an_etag_and_answers_304_when_unchanged(call, factory, token_for):
    author = factory.user()
    post = factory.post(author, "Cached")
    url = f"/api/v1/posts/{post.id}"
    first = call("GET", url)
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    assert "Authorization" in first.headers["Vary"]
    again = call("GET", url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    call("PATCH", url, token_for(author), json={"title": "Changed"})
    changed = call("GET", url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    listing = call("GET", "/api/v1/posts")
    assert (
        call("GET", "/api/v1/posts", headers={"If-None-Match": listing.headers["ETag"]}).status_code
        == 304
    )


def test_the_document_names_if_none_match_and_304_on_every_get_only(call):
    document = call("GET", "/api/v1/openapi.json").get_json()
    gets = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
            if method == "get":
                gets += 1
                assert headers == ["If-None-Match"], path
                not_modified = operation["responses"]["304"]
                assert "content" not in not_modified, path
                assert "ETag" in not_modified["description"]
            else:
                assert "If-None-Match" not in headers, (method, path)
                assert "304" not in operation["responses"], (method, path)
    # posts, a post, by slug, comments, tags, a user, me, search, stats x2, pages, a page,
    # subscribers, media, an image
    assert gets == 15


def test_writes_and_errors_carry_no_etag(call, token_for):
    created = call("POST", "/api/v1/posts", token_for(), json={"title": "t", "body": "b"})
    assert created.status_code == 201
    assert "ETag" not in created.headers
    assert "ETag" not in call("GET", "/api/v1/posts/999999").headers


# CORS


def test_reads_are_open_to_other_origins_without_credentials(call, factory):
    factory.post(factory.user())
    origin = {"Origin": "https://elsewhere.example"}
    read = call("GET", "/api/v1/posts", headers=origin)
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in read.headers
    assert "Link" in read.headers["Access-Control-Expose-Headers"]
    preflight = call("OPTIONS", "/api/v1/posts", headers={
        **origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    })  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_writes_are_not_opened_to_other_origins(call, token_for):
    origin = {"Origin": "https://elsewhere.example"}
    write = call("POST", "/api/v1/posts", token_for(), json={"title": "t", "body": "b"},
                 headers=origin)  # fmt: skip
    assert write.status_code == 201
    assert "Access-Control-Allow-Origin" not in write.headers


# Rate limits


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url, tmp_path) -> Iterator[Flask]:
    overrides = {"API_LIMITS": "3 per minute", "API_LIMITS_PER_ADDRESS": "5 per minute"}
    with app_with_limits(request.param, tmp_path, database_url, **overrides) as app:
        yield app


def test_answers_carry_rate_limit_headers(call):
    response = call("GET", "/api/v1/tags")
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert int(response.headers["X-RateLimit-Remaining"]) >= 0
    assert "X-RateLimit-Reset" in response.headers


def test_limits_hold_per_token_and_per_address(limited_app):
    from inkstand.accounts import tokens
    from inkstand.db import utcnow
    from inkstand.extensions import db

    client = limited_app.test_client()
    user = Factory(limited_app).user()
    mine = tokens.create(db.session, user, "a", "read", utcnow())[1]
    other = tokens.create(db.session, user, "b", "read", utcnow())[1]

    def status(token: str | None, address: str = "10.0.0.1") -> int:
        headers = bearer(token) if token else {}
        environ = {"REMOTE_ADDR": address}
        return client.get("/api/v1/tags", headers=headers, environ_base=environ).status_code

    assert [status(mine) for _ in range(4)] == [200, 200, 200, 429]
    assert status(other) == 200  # another token has its own budget
    assert status(None, "10.0.0.2") == 200  # so has an anonymous address
    # Four requests from 10.0.0.1 counted so far (the refused one is not): the address's
    # own limit of five is reached next, whatever the token.
    fresh = tokens.create(db.session, user, "c", "read", utcnow())[1]
    assert status(fresh) == 200
    limited = client.get(
        "/api/v1/tags", headers=bearer(fresh), environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert_problem(limited, 429, "rate-limited")
    assert int(limited.headers["Retry-After"]) > 0
