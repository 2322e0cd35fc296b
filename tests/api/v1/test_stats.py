"""Statistics through the native API: the dashboard's figures, who sees which, ranges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import utcnow
from tests.helpers import Factory, assert_problem, seed_views


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    return {role: factory.user(role, role) for role in ("admin", "editor", "author", "reader")}


@pytest.fixture
def two_posts(factory: Factory, people: dict[str, User]) -> tuple[Post, Post]:
    mine = factory.post(people["author"], "Mine")
    theirs = factory.post(people["editor"], "Theirs")
    seed_views(f"/posts/{mine.slug}", post=mine, count=3, visitors=2, referrer_host="a.example")
    seed_views(f"/posts/{theirs.slug}", post=theirs, count=5, visitors=5, days_ago=2)
    seed_views("/", count=7, visitors=3, referrer_host="b.example")
    return mine, theirs


@pytest.mark.parametrize(
    ("role", "views", "titles"),
    [("admin", 15, ["Theirs", "Mine"]), ("editor", 15, ["Theirs", "Mine"]),
     ("author", 3, ["Mine"])],
)  # fmt: skip
def test_staff_get_the_site_and_authors_their_own_posts(
    call, token_for, people, two_posts, role, views, titles
) -> None:
    answer = call("GET", "/api/v1/stats?days=7", token_for(people[role], "read"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["views"] == views
    assert [p["label"] for p in body["posts"]] == titles
    assert body["whole_site"] is (role != "author")
    assert len(body["days"]) == 7
    today = body["days"][-1]
    assert today["day"] == utcnow().date().isoformat()
    assert today["views"] == (3 if role == "author" else 10)  # "Theirs" was read two days ago


def test_readers_are_refused_and_visitors_asked_for_a_token(call, token_for, people) -> None:
    assert_problem(call("GET", "/api/v1/stats"), 401, "unauthorized")
    assert_problem(call("GET", "/api/v1/stats", token_for(people["reader"])), 403, "forbidden")
    assert_problem(call("GET", "/api/v1/stats/posts/1"), 401, "unauthorized")


def test_a_post_for_its_author_and_the_staff_only(call, token_for, people, two_posts) -> None:
    mine, theirs = two_posts
    own = call("GET", f"/api/v1/stats/posts/{mine.id}", token_for(people["author"], "read"))
    assert own.status_code == 200
    body = own.get_json()
    assert (body["views"], body["visitors"], body["posts"]) == (3, 2, [])
    assert body["referrers"] == [{"label": "a.example", "views": 3}]
    other = call("GET", f"/api/v1/stats/posts/{theirs.id}", token_for(people["author"]))
    assert_problem(other, 403, "forbidden")
    editor = call("GET", f"/api/v1/stats/posts/{mine.id}", token_for(people["editor"]))
    assert editor.get_json()["views"] == 3
    missing = call("GET", "/api/v1/stats/posts/999999", token_for(people["admin"]))
    assert_problem(missing, 404, "not-found")
    reader = call("GET", f"/api/v1/stats/posts/{mine.id}", token_for(people["reader"]))
    assert_problem(reader, 403, "forbidden")


@pytest.mark.parametrize(
    "query",
    ["days=5", "days=abc", "first=2026-02-10&last=2026-01-01", "first=2020-01-01&last=2023-01-01",
     "first=2999-01-01&last=2999-01-02", "first=2026-01-01", "first=yesterday&last=2026-01-01",
     "first=2026-13-45&last=2026-01-01"],
)  # fmt: skip
def test_a_bad_range_is_a_problem(call, token_for, people, query: str) -> None:
    assert_problem(call("GET", f"/api/v1/stats?{query}", token_for(people["admin"])), 422,
                   "invalid")  # fmt: skip


def test_a_custom_range(call, token_for, people, two_posts) -> None:
    day = (utcnow() - timedelta(days=2)).date().isoformat()
    body = call("GET", f"/api/v1/stats?first={day}&last={day}", token_for(people["admin"]))
    assert body.get_json()["views"] == 5
    assert body.get_json()["days"] == [{"day": day, "views": 5, "visitors": 5}]


def test_the_stats_are_in_the_openapi_document(call) -> None:
    paths = call("GET", "/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/stats" in paths
    assert "/api/v1/stats/posts/{post_id}" in paths
