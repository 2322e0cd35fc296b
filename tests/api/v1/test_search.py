"""Search through the native API: the site's search, the same visibility, as JSON."""

from __future__ import annotations

from inkstand.blog.models import Status
from inkstand.extensions import db
from tests.helpers import assert_problem


def test_search_finds_published_posts_best_first_with_marked_snippets(call, factory):
    author = factory.user()
    factory.post(author, "About kettles", body="Copper <b>kettles</b> whistle.")
    factory.post(author, "Tea", body="Boil the kettles first.")
    response = call("GET", "/api/v1/search?q=kettles")
    assert response.status_code == 200
    body = response.get_json()
    assert [r["post"]["title"] for r in body["results"]] == ["About kettles", "Tea"]
    first = body["results"][0]
    assert first["title_html"] == "About <mark>kettles</mark>"
    assert "<b>" not in first["snippet_html"]  # the text is escaped, only <mark> added
    assert "<mark>kettles</mark>" in first["snippet_html"]
    assert "kettles" in first["snippet"]
    assert first["post"]["state"] == "published"
    assert body["next_cursor"] is None


def test_a_token_finds_its_own_drafts_and_no_one_elses(call, factory, token_for):
    alice, bob = factory.user(), factory.user()
    factory.post(alice, "Alice drafts otters", status=Status.DRAFT.value)
    factory.post(bob, "Bob drafts otters", status=Status.DRAFT.value)
    anonymous = call("GET", "/api/v1/search?q=otters").get_json()
    assert anonymous["results"] == []
    mine = call("GET", "/api/v1/search?q=otters", token_for(alice, "read")).get_json()
    assert [(r["post"]["title"], r["post"]["state"]) for r in mine["results"]] == [
        ("Alice drafts otters", "draft")
    ]


def test_results_page_by_cursor_with_a_link_header(call, factory):
    author = factory.user()
    for n in range(3):
        factory.post(author, f"Fig {n}")
    first = call("GET", "/api/v1/search?q=fig&limit=2")
    assert len(first.get_json()["results"]) == 2
    assert 'rel="next"' in first.headers["Link"]
    cursor = first.get_json()["next_cursor"]
    second = call("GET", f"/api/v1/search?q=fig&limit=2&cursor={cursor}").get_json()
    titles = {r["post"]["title"] for r in first.get_json()["results"] + second["results"]}
    assert titles == {"Fig 0", "Fig 1", "Fig 2"}
    assert second["next_cursor"] is None


def test_a_bad_cursor_is_an_invalid_cursor_problem(call):
    body = assert_problem(call("GET", "/api/v1/search?q=fig&cursor=AAAAAAAAAAAAAAAA"), 400,
                          "invalid-cursor")  # fmt: skip
    assert body["errors"] == {"cursor": ["This page link is broken or out of date."]}


def test_q_is_required(call):
    assert_problem(call("GET", "/api/v1/search"), 422, "invalid")


def test_hostile_queries_give_results_or_none(call, factory):
    factory.post(factory.user(), "Words")
    for text in ['"', "-", "NEAR(", "' OR 1=1 --", "\x00", "x" * 10_000, "*"]:
        response = call("GET", "/api/v1/search", query_string={"q": text})
        assert response.status_code in (200, 422), text


def test_the_search_is_in_the_openapi_document(call):
    spec = call("GET", "/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "cursor", "limit"}
    assert "SearchResults" in spec["components"]["schemas"]


def test_search_costs_one_query_after_the_settings(call, factory, queries):
    factory.post(factory.user(), "Counting")
    queries.clear()
    assert call("GET", "/api/v1/search?q=counting").status_code == 200
    db.session.rollback()
    assert len(queries) == 2
