"""Posts through the native API: every endpoint, its successes and each way it fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inkstand.accounts import tokens
from inkstand.blog.models import Post, Revision
from inkstand.blog.services.posts import TAG_MAX, TAGS_PER_POST, TITLE_MAX
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import assert_problem, bulk_posts, change

NEW = {"title": "From the API", "body": "Written *elsewhere*.", "tags": ["api", "Tools"]}


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Post.id))) or 0


# Listing


def test_anyone_lists_published_posts_newest_first(call, factory):
    author = factory.user()
    old = factory.post(author, "Old", now=utcnow() - timedelta(days=2))
    new = factory.post(author, "New")
    factory.post(author, "Draft", status="draft")
    factory.post(author, "Later", publish_at=utcnow() + timedelta(days=1))
    response = call("GET", "/api/v1/posts")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert [p["id"] for p in body["posts"]] == [new.id, old.id]
    assert body["next_cursor"] is None
    assert "Link" not in response.headers
    first = body["posts"][0]
    assert first["state"] == "published"
    assert first["author"]["username"] == author.username
    assert "body" not in first
    assert "email" not in first["author"]


def test_lists_filter_by_tag_and_author(call, factory):
    ada, bob = factory.user(username="ada"), factory.user(username="bob")
    tagged = factory.post(ada, "Tagged", tags="python, web")
    factory.post(ada, "Untagged")
    bobs = factory.post(bob, "Bob's", tags="python")

    def ids(query: str) -> list[int]:
        return [p["id"] for p in call("GET", f"/api/v1/posts?{query}").get_json()["posts"]]

    assert ids("tag=python") == [bobs.id, tagged.id]
    assert ids("tag=PYTHON&author=ADA") == [tagged.id]
    assert ids("author=bob") == [bobs.id]
    assert ids("tag=missing") == []
    assert ids("author=nobody") == []


def test_pages_follow_the_link_header_and_cost_the_same(call, factory, queries):
    bulk_posts(factory.user(), 7)
    queries.clear()
    response = call("GET", "/api/v1/posts?limit=3")
    first_page_queries = len(queries)
    seen = [p["title"] for p in response.get_json()["posts"]]
    while "Link" in response.headers:
        link = response.headers["Link"]
        assert link.endswith('>; rel="next"')
        assert "limit=3" in link
        url = link[1 : link.index(">")].replace("http://inkstand.test", "")
        queries.clear()
        response = call("GET", url)
        assert len(queries) == first_page_queries
        seen += [p["title"] for p in response.get_json()["posts"]]
    assert seen == [f"Bulk {n}" for n in range(6, -1, -1)]
    assert response.get_json()["next_cursor"] is None


def test_a_list_costs_one_query_however_many_posts(call, factory, queries, token_for):
    author = factory.user()
    token = token_for(author)
    call("GET", "/api/v1/me", token)  # the token's first use is written once a minute at most
    bulk_posts(author, 3)
    queries.clear()
    call("GET", "/api/v1/posts?limit=100", token)
    few = len(queries)
    assert few == 2  # the token, the posts with their authors
    for post in db.session.scalars(select(Post)):
        post.slug = f"first-{post.slug}"
    db.session.commit()
    bulk_posts(factory.user(), 40)
    queries.clear()
    assert len(call("GET", "/api/v1/posts?limit=100", token).get_json()["posts"]) == 43
    assert len(queries) == few


@pytest.mark.parametrize(
    ("role", "sees"),
    [("author", {"mine"}), ("editor", {"mine", "theirs"}), ("admin", {"mine", "theirs"})],
)
def test_drafts_are_listed_to_those_who_may_edit_them(call, factory, token_for, role, sees):
    user = factory.user(role)
    factory.post(user, "mine", status="draft")
    factory.post(factory.user(), "theirs", status="draft")
    for scope in ("read", "read-write"):
        body = call("GET", "/api/v1/posts?state=draft", token_for(user, scope)).get_json()
        assert {p["title"] for p in body["posts"]} == sees
        assert {p["state"] for p in body["posts"]} == {"draft"}


def test_scheduled_and_archived_posts_are_listed_by_state(call, factory, token_for):
    author = factory.user()
    later = factory.post(author, "Later", publish_at=utcnow() + timedelta(days=1))
    archived = factory.post(author, "Archived", status="archived", publish_at=utcnow())
    token = token_for(author, "read")
    scheduled = call("GET", "/api/v1/posts?state=scheduled", token).get_json()["posts"]
    assert [(p["id"], p["state"]) for p in scheduled] == [(later.id, "scheduled")]
    gone = call("GET", "/api/v1/posts?state=archived", token).get_json()["posts"]
    assert [(p["id"], p["state"]) for p in gone] == [(archived.id, "archived")]


@pytest.mark.parametrize("who", ["visitor", "reader"])
def test_readers_and_visitors_may_not_list_unpublished_posts(call, factory, token_for, who):
    factory.post(factory.user(), "secret", status="draft")
    token = token_for("reader", "read") if who == "reader" else None
    assert_problem(call("GET", "/api/v1/posts?state=draft", token), 403, "forbidden")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("state=deleted", "state"),
        ("tag=%00", "tag"),
        ("author=a%01b", "author"),
        ("tag=" + "x" * (TAG_MAX + 1), "tag"),
    ],
)
def test_bad_list_arguments_are_named(call, query, field):
    body = assert_problem(call("GET", f"/api/v1/posts?{query}"), 422, "invalid")
    assert field in body["errors"]


@pytest.mark.parametrize("cursor", ["zz", "1-2-3", "99999999999999999999-1", "1-99999999999"])
def test_a_bad_cursor_is_a_problem(call, cursor):
    assert_problem(call("GET", f"/api/v1/posts?cursor={cursor}"), 400, "invalid-cursor")


# Reading one


def test_a_post_is_read_by_id_and_by_slug(call, factory):
    post = factory.post(factory.user(), "Read me", tags="one")
    by_id = call("GET", f"/api/v1/posts/{post.id}").get_json()
    by_slug = call("GET", "/api/v1/posts/by-slug/read-me").get_json()
    assert by_id == by_slug
    assert by_id["body"].startswith("Some *Markdown*")
    assert "<em>" in by_id["body_html"]
    assert by_id["tags"] == ["one"]


def test_an_old_slug_redirects_to_the_new_one(call, factory):
    author = factory.user()
    post = factory.post(author, "First name")
    change(post, author, title="x", body="y", slug="second-name")
    response = call("GET", "/api/v1/posts/by-slug/first-name")
    assert response.status_code == 301
    assert response.location.endswith("/api/v1/posts/by-slug/second-name")


@pytest.mark.parametrize("who", ["visitor", "reader", "other author"])
def test_a_draft_is_not_found_by_those_who_may_not_edit_it(call, factory, token_for, who):
    draft = factory.post(factory.user(), "Hidden draft", status="draft")
    token = {"visitor": None, "reader": token_for("reader"), "other author": token_for()}[who]
    assert_problem(call("GET", f"/api/v1/posts/{draft.id}", token), 404, "not-found")
    assert_problem(call("GET", "/api/v1/posts/by-slug/hidden-draft", token), 404, "not-found")


def test_a_draft_is_read_by_its_author_and_editors(call, factory, token_for):
    author = factory.user()
    draft = factory.post(author, "Draft", status="draft")
    for token in (token_for(author, "read"), token_for("editor", "read")):
        assert call("GET", f"/api/v1/posts/{draft.id}", token).get_json()["state"] == "draft"


@pytest.mark.parametrize("url", ["/api/v1/posts/999999", "/api/v1/posts/by-slug/nothing-here",
                                 "/api/v1/posts/0", f"/api/v1/posts/{2**31}"])  # fmt: skip
def test_a_missing_post_is_not_found(call, url):
    assert_problem(call("GET", url), 404, "not-found")


# Writing


@pytest.mark.parametrize("role", ["author", "editor", "admin"])
def test_writers_create_posts(call, factory, token_for, role):
    user = factory.user(role)
    response = call("POST", "/api/v1/posts", token_for(user), json=NEW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "draft"
    assert body["tags"] == ["api", "tools"]
    assert body["author"]["username"] == user.username
    assert body["slug"] == "from-the-api"
    published = call(
        "POST", "/api/v1/posts", token_for(user), json={**NEW, "status": "published"}
    ).get_json()
    assert published["state"] == "published"
    assert published["published_at"]


def test_a_reader_may_not_write_posts(call, token_for):
    response = call("POST", "/api/v1/posts", token_for("reader"), json=NEW)
    assert_problem(response, 403, "forbidden")
    assert _count() == 0


def test_writing_needs_a_token(call, factory):
    body = assert_problem(call("POST", "/api/v1/posts", json=NEW), 401, "unauthorized")
    assert "Bearer" in body["detail"]
    assert _count() == 0


def test_a_read_token_may_not_write(call, token_for):
    response = call("POST", "/api/v1/posts", token_for("admin", "read"), json=NEW)
    assert_problem(response, 403, "read-only-token")
    assert _count() == 0


@pytest.mark.parametrize(
    "header",
    ["Bearer ink_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer x y", "ink_raw"],
)
def test_a_bad_token_is_refused_even_for_reads(call, factory, header):
    factory.post(factory.user())
    for method, url in [("GET", "/api/v1/posts"), ("POST", "/api/v1/posts")]:
        response = call(method, url, headers={"Authorization": header}, json=NEW)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _count() == 1


def test_a_revoked_token_is_refused(call, factory):
    user = factory.user()
    token, plaintext = tokens.create(db.session, user, "t", "read-write", utcnow())
    tokens.revoke(db.session, user, token.id, utcnow())
    assert_problem(call("POST", "/api/v1/posts", plaintext, json=NEW), 401, "unauthorized")
    assert_problem(call("GET", "/api/v1/me", plaintext), 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title", "body"}),
        ({"title": "t"}, {"body"}),
        ({"title": 5, "body": ["x"]}, {"title", "body"}),
        ({**NEW, "tags": "a, b"}, {"tags"}),
        ({**NEW, "tags": ["a,b"]}, {"tags.0"}),
        ({**NEW, "tags": [1]}, {"tags.0"}),
        ({**NEW, "status": "scheduled"}, {"status"}),
        ({**NEW, "publish_at": "2030-01-01T00:00:00"}, {"publish_at"}),
        ({**NEW, "publish_at": "tomorrow"}, {"publish_at"}),
        ({**NEW, "comments_closed": "perhaps"}, {"comments_closed"}),
        ({**NEW, "author_id": 1}, {"author_id"}),
        # The rules of blog.services.posts, through the same problem:
        ({**NEW, "title": "x" * (TITLE_MAX + 1)}, {"title"}),
        ({**NEW, "title": "   "}, {"title"}),
        ({**NEW, "slug": "Not A Slug"}, {"slug"}),
        ({**NEW, "tags": ["bad tag!"]}, {"tags"}),
        ({**NEW, "tags": [f"t{n}" for n in range(TAGS_PER_POST + 1)]}, {"tags"}),
        ({**NEW, "publish_at": "0999-01-01T00:00:00+00:00"}, {"publish_at"}),
        ({**NEW, "title": "nul\x00 inside"}, {"title"}),
    ],
)
def test_an_invalid_body_names_each_field(call, token_for, body, fields):
    response = call("POST", "/api/v1/posts", token_for(), json=body)
    problem = assert_problem(response, 422, "invalid")
    assert set(problem["errors"]) == fields, problem
    assert _count() == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{not json", "application/json"), ('{"title": "x",}', "application/json"),
     (b"\xff\xfe", "application/json")],
)  # fmt: skip
def test_malformed_json_is_a_problem(call, token_for, data, content_type):
    response = call("POST", "/api/v1/posts", token_for(), data=data, content_type=content_type)
    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize("body", ["[]", '"text"', "null", "42"])
def test_a_body_that_is_not_an_object_is_invalid(call, token_for, body):
    response = call(
        "POST", "/api/v1/posts", token_for(), data=body, content_type="application/json"
    )
    problem = assert_problem(response, 422, "invalid")
    assert set(problem["errors"]) == {"body"}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [({"title": "x", "body": "y"}, None), ('{"title": "x", "body": "y"}', "text/plain")],
)
def test_a_body_that_is_not_json_is_415(call, token_for, data, content_type):
    response = call("POST", "/api/v1/posts", token_for(), data=data, content_type=content_type)
    assert_problem(response, 415, "unsupported-media-type")
    assert _count() == 0


def test_an_oversized_body_is_refused(app, call, token_for):
    huge = {"title": "Big", "body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}
    assert_problem(call("POST", "/api/v1/posts", token_for(), json=huge), 413, "too-large")
    too_long = {"title": "Long", "body": "x" * (app.config["POST_BODY_MAX_CHARS"] + 1)}
    problem = assert_problem(call("POST", "/api/v1/posts", token_for(), json=too_long), 422,
                             "invalid")  # fmt: skip
    assert "body" in problem["errors"]


# Changing


def test_an_author_changes_her_post_field_by_field(call, factory, token_for):
    author = factory.user()
    post = factory.post(author, "Before", tags="keep")
    response = call("PATCH", f"/api/v1/posts/{post.id}", token_for(author), json={"title": "After"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "After"
    assert body["tags"] == ["keep"]
    assert body["body"] == post.body_source
    assert body["state"] == "published"
    revisions = db.session.scalar(
        select(func.count(Revision.id)).where(Revision.post_id == post.id)
    )
    assert revisions == 2


def test_editors_change_anyones_post(call, factory, token_for):
    post = factory.post(factory.user(), "Theirs")
    response = call("PATCH", f"/api/v1/posts/{post.id}", token_for("editor"), json={"tags": ["x"]})
    assert response.status_code == 200
    assert response.get_json()["tags"] == ["x"]


def test_a_change_reads_the_post_once_whatever_its_tags(call, factory, token_for, queries):
    author = factory.user()
    token = token_for(author)
    call("GET", "/api/v1/me", token)  # the token's first use is written once a minute at most

    def cost(tags: str) -> int:
        post = factory.post(author, tags=tags)
        queries.clear()
        response = call("PATCH", f"/api/v1/posts/{post.id}", token, json={"title": "Changed"})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["author"]["username"] == author.username
        reads = [q for q in queries if q.startswith("SELECT posts.id, posts.author_id")]
        assert len(reads) == 1  # not again by the service, nor for the answer
        return len(queries)

    assert cost("one") == cost(", ".join(f"tag{n}" for n in range(10)))


@pytest.mark.parametrize("role", ["author", "reader"])
def test_another_users_post_may_not_be_changed(call, factory, token_for, role):
    post = factory.post(factory.user(), "Not yours")
    token = token_for(role)
    patch = call("PATCH", f"/api/v1/posts/{post.id}", token, json={"title": "Mine now"})
    assert_problem(patch, 403, "forbidden")
    assert_problem(call("POST", f"/api/v1/posts/{post.id}/publish", token), 403, "forbidden")
    assert_problem(call("DELETE", f"/api/v1/posts/{post.id}", token), 403, "forbidden")
    db.session.expire_all()
    assert db.session.get(Post, post.id).title == "Not yours"


@pytest.mark.parametrize(
    ("method", "suffix"), [("PATCH", ""), ("POST", "/publish"), ("DELETE", "")]
)
def test_changes_need_a_read_write_token(call, factory, token_for, method, suffix):
    author = factory.user()
    post = factory.post(author, "Stays")
    url = f"/api/v1/posts/{post.id}{suffix}"
    assert_problem(call(method, url, json={"title": "x"}), 401, "unauthorized")
    assert_problem(call(method, url, token_for(author, "read"), json={"title": "x"}), 403,
                   "read-only-token")  # fmt: skip
    assert_problem(call(method, "/api/v1/posts/999999" + suffix, token_for(author), json={}), 404,
                   "not-found")  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Post, post.id).title == "Stays"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": ""}, "title"), ({"title": None}, "title"), ({"status": 1}, "status"),
     ({"publish_at": "yesterday"}, "publish_at"), ({"tags": None}, "tags")],
)  # fmt: skip
def test_an_invalid_change_is_refused(call, factory, token_for, body, field):
    author = factory.user()
    post = factory.post(author, "Kept")
    problem = assert_problem(call("PATCH", f"/api/v1/posts/{post.id}", token_for(author),
                                  json=body), 422, "invalid")  # fmt: skip
    assert field in problem["errors"]


# Publishing and deleting


def test_publishing_a_draft_sets_its_time(call, factory, token_for):
    author = factory.user()
    draft = factory.post(author, "Draft", status="draft")
    body = call("POST", f"/api/v1/posts/{draft.id}/publish", token_for(author)).get_json()
    assert body["state"] == "published"
    assert body["published_at"]


def test_publishing_at_a_future_time_schedules_and_publishing_again_sends_it_now(
    call, factory, token_for
):
    author = factory.user()
    draft = factory.post(author, "Draft", status="draft")
    token, later = token_for(author), (utcnow() + timedelta(days=3)).isoformat()
    url = f"/api/v1/posts/{draft.id}/publish"
    assert call("POST", url, token, json={"publish_at": later}).get_json()["state"] == "scheduled"
    assert call("POST", url, token).get_json()["state"] == "published"


def test_publishing_with_a_bad_time_is_refused(call, factory, token_for):
    author = factory.user()
    draft = factory.post(author, "Draft", status="draft")
    url = f"/api/v1/posts/{draft.id}/publish"
    for bad in ("soon", "2030-01-01T00:00:00", 5):
        problem = assert_problem(call("POST", url, token_for(author), json={"publish_at": bad}),
                                 422, "invalid")  # fmt: skip
        assert "publish_at" in problem["errors"]


def test_an_author_deletes_her_post(call, factory, token_for):
    author = factory.user()
    url = f"/api/v1/posts/{factory.post(author).id}"
    response = call("DELETE", url, token_for(author))
    assert response.status_code == 204
    assert response.data == b""
    assert "Content-Type" not in response.headers
    assert _count() == 1  # in the trash, until purged
    assert_problem(call("GET", url, token_for(author)), 404, "not-found")
    assert_problem(call("DELETE", url, token_for(author)), 404, "not-found")
