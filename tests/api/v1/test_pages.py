"""/api/v1/pages: read pages, and write them as an editor or admin; problem+json for
bad input; the OpenAPI document describes it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.pages.models import Page
from tests.helpers import Factory, assert_problem, fresh

NEW = {"title": "About", "body": "We *write*.", "status": "published"}


def _pages() -> int:
    return int(fresh(select(func.count(Page.id))))


@pytest.mark.parametrize("role", ["admin", "editor"])
def test_writers_create_change_and_delete(call, token_for, factory: Factory, role: str):
    factory.user("admin")
    token = token_for(role)
    made = call("POST", "/api/v1/pages", token, json=NEW)
    assert made.status_code == 201
    page = made.get_json()
    assert (page["slug"], page["status"]) == ("about", "published")
    assert "<em>write</em>" in page["body_html"]
    etag = call("GET", f"/api/v1/pages/{page['id']}", token).headers["ETag"]
    changed = call("PATCH", f"/api/v1/pages/{page['id']}", token, json={"title": "About us"},
                   headers={"If-Match": etag})  # fmt: skip
    assert changed.status_code == 200
    assert changed.get_json()["title"] == "About us"
    stale = call("PATCH", f"/api/v1/pages/{page['id']}", token, json={"title": "Old"},
                 headers={"If-Match": etag})  # fmt: skip
    assert stale.status_code == 412
    assert call("DELETE", f"/api/v1/pages/{page['id']}", token).status_code == 204
    assert _pages() == 0


@pytest.mark.parametrize("role", ["author", "reader"])
def test_others_may_not_write(call, token_for, factory: Factory, role: str):
    factory.user("admin")
    assert_problem(call("POST", "/api/v1/pages", token_for(role), json=NEW), 403, "forbidden")
    assert _pages() == 0


def test_a_visitor_reads_published_pages_only(call, token_for, factory: Factory):
    admin = factory.user("admin")
    token = token_for(admin)
    call("POST", "/api/v1/pages", token, json=NEW)
    draft = call("POST", "/api/v1/pages", token, json={**NEW, "title": "Plans", "status": "draft"})
    assert [p["title"] for p in call("GET", "/api/v1/pages").get_json()["pages"]] == ["About"]
    assert call("GET", f"/api/v1/pages/{draft.get_json()['id']}").status_code == 404
    listed = call("GET", "/api/v1/pages", token).get_json()["pages"]
    assert [p["title"] for p in listed] == ["About", "Plans"]
    assert_problem(call("POST", "/api/v1/pages", json=NEW), 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({**NEW, "title": "t" * 10_000}, "title", id="10-KB-title"),
        pytest.param({**NEW, "slug": "login"}, "slug", id="route"),
        pytest.param({**NEW, "slug": "api"}, "slug", id="api"),
        pytest.param({**NEW, "slug": "Bad slug"}, "slug", id="bad-slug"),
        pytest.param({**NEW, "status": "archived"}, "status", id="state"),
        pytest.param({"title": "No body"}, "body", id="no-body"),
        pytest.param({**NEW, "title": 5}, "title", id="not-text"),
    ],
)
def test_bad_input_is_a_422_problem(call, token_for, factory: Factory, body, field):
    response = call("POST", "/api/v1/pages", token_for("admin"), json=body)
    problem = assert_problem(response, 422, "invalid")
    assert field in str(problem)
    assert _pages() == 0


def test_the_openapi_document_describes_pages(call):
    paths = call("GET", "/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/pages"]) >= {"get", "post"}
    assert set(paths["/api/v1/pages/{page_id}"]) >= {"get", "patch", "delete"}
