"""A post's comments through the native API, under the same rules as the post page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.comments.models import Comment
from inkstand.extensions import db
from inkstand.site import services as site
from tests.api.v1.conftest import assert_problem


def _comments() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Comment.id))) or 0


@pytest.fixture
def open_site(factory):
    site.update(db.session, factory.user("admin"), comment_policy="open")


def test_anyone_reads_the_approved_thread_in_reading_order(call, factory):
    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    first = factory.comment(reader, post, "First")
    reply = factory.comment(author, post, "A reply", parent=first)
    second = factory.comment(reader, post, "Second")
    factory.comment(reader, post, "Held", policy="hold_all")
    response = call("GET", f"/api/v1/posts/{post.id}/comments")
    assert response.status_code == 200
    rows = response.get_json()["comments"]
    assert [(r["id"], r["parent_id"], r["depth"]) for r in rows] == [
        (first.id, None, 0), (reply.id, first.id, 1), (second.id, None, 0),
    ]  # fmt: skip
    assert rows[0]["author"]["username"] == reader.username
    assert rows[0]["shown"]
    assert "<p>First</p>" in rows[0]["body_html"]


def test_held_comments_are_seen_by_their_writer_and_the_posts_moderators(call, factory, token_for):
    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    factory.comment(reader, post, "Held", policy="hold_all")
    url = f"/api/v1/posts/{post.id}/comments"
    for token, count in [
        (None, 0), (token_for("reader", "read"), 0), (token_for(reader, "read"), 1),
        (token_for(author, "read"), 1), (token_for("editor", "read"), 1),
    ]:  # fmt: skip
        assert len(call("GET", url, token).get_json()["comments"]) == count


def test_a_deleted_comment_with_replies_is_a_placeholder(call, factory):
    from inkstand.comments import services
    from inkstand.db import utcnow

    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    parent = factory.comment(reader, post, "Soon gone")
    factory.comment(author, post, "Still here", parent=parent)
    services.delete_comment(db.session, reader, parent.id, utcnow())
    rows = call("GET", f"/api/v1/posts/{post.id}/comments").get_json()["comments"]
    assert rows[0]["shown"] is False
    assert rows[0]["author"] is None
    assert rows[0]["body"] is None
    assert rows[1]["body"] == "Still here"


def test_a_thread_costs_the_same_however_long(call, factory, queries):
    author = factory.user()
    post = factory.post(author)
    readers = [factory.user("reader") for _ in range(3)]
    factory.comment(readers[0], post)
    queries.clear()
    call("GET", f"/api/v1/posts/{post.id}/comments")
    few = len(queries)
    for n in range(12):
        factory.comment(readers[n % 3], post)
    queries.clear()
    assert len(call("GET", f"/api/v1/posts/{post.id}/comments").get_json()["comments"]) == 13
    assert len(queries) == few


@pytest.mark.parametrize("url", ["/api/v1/posts/999999/comments", "/api/v1/posts/0/comments"])
def test_comments_of_a_missing_post_are_not_found(call, url):
    assert_problem(call("GET", url), 404, "not-found")
    assert_problem(call("POST", url, json={"body": "x"}), 401, "unauthorized")


def test_comments_of_a_draft_are_hidden_from_readers(call, factory, token_for):
    draft = factory.post(factory.user(), status="draft")
    url = f"/api/v1/posts/{draft.id}/comments"
    assert_problem(call("GET", url, token_for("reader")), 404, "not-found")
    assert_problem(call("POST", url, token_for("reader"), json={"body": "x"}), 404, "not-found")


@pytest.mark.parametrize("role", ["reader", "author", "editor", "admin"])
def test_every_role_comments_with_a_read_write_token(call, factory, token_for, open_site, role):
    post = factory.post(factory.user())
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for(role),
                    json={"body": "Nice *post*"})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved"
    assert "<em>post</em>" in body["body_html"]
    assert _comments() == 1


def test_a_newcomers_comment_is_held_under_the_default_policy(call, factory, token_for):
    post = factory.post(factory.user())
    response = call(
        "POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"), json={"body": "Hi"}
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"


def test_a_reply_is_placed_under_its_parent(call, factory, token_for, open_site):
    post = factory.post(factory.user())
    parent = factory.comment(factory.user("reader"), post)
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"),
                    json={"body": "Agreed", "parent_id": parent.id})  # fmt: skip
    assert response.status_code == 201
    assert (response.get_json()["parent_id"], response.get_json()["depth"]) == (parent.id, 1)


def test_commenting_needs_a_read_write_token(call, factory, token_for, open_site):
    post = factory.post(factory.user())
    url = f"/api/v1/posts/{post.id}/comments"
    assert_problem(call("POST", url, json={"body": "x"}), 401, "unauthorized")
    assert_problem(call("POST", url, token_for("reader", "read"), json={"body": "x"}), 403,
                   "read-only-token")  # fmt: skip
    bad = {"Authorization": "Bearer ink_forged"}
    assert_problem(call("POST", url, headers=bad, json={"body": "x"}), 401, "unauthorized")
    assert _comments() == 0


def test_closed_comments_are_refused(call, factory, token_for):
    author = factory.user()
    post = factory.post(author, comments_closed=True)
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"),
                    json={"body": "x"})  # fmt: skip
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": 7}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "http://a.example http://b.example http://c.example http://d.example"}, "body"),
        ({"body": "x", "parent_id": "1"}, "parent_id"),
        ({"body": "x", "parent_id": 0}, "parent_id"),
        ({"body": "x", "parent_id": 2**31}, "parent_id"),
        ({"body": "x", "parent_id": 999_999}, "parent_id"),
        ({"body": "x", "website": "spam"}, "website"),
    ],
)
def test_an_invalid_comment_names_its_field(call, factory, token_for, open_site, body, field):
    post = factory.post(factory.user())
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"), json=body)
    problem = assert_problem(response, 422, "invalid")
    assert field in problem["errors"]
    assert _comments() == 0


def test_the_same_comment_twice_is_refused(call, factory, token_for, open_site):
    post = factory.post(factory.user())
    token, url = token_for("reader"), f"/api/v1/posts/{post.id}/comments"
    assert call("POST", url, token, json={"body": "Once"}).status_code == 201
    assert_problem(call("POST", url, token, json={"body": "Once"}), 422, "invalid")


def test_a_revoked_token_may_not_comment(call, factory, open_site):
    from inkstand.accounts import tokens
    from inkstand.db import utcnow

    reader = factory.user("reader")
    post = factory.post(factory.user())
    token, plaintext = tokens.create(db.session, reader, "old", "read-write", utcnow())
    tokens.revoke(db.session, reader, token.id, utcnow())
    response = call("POST", f"/api/v1/posts/{post.id}/comments", plaintext, json={"body": "x"})
    assert_problem(response, 401, "unauthorized")
    assert _comments() == 0


def test_the_post_s_author_is_mailed_of_a_comment_made_through_the_api(
    app, call, factory, token_for, open_site
):
    from tests.comments.test_notices import Outbox

    outbox = Outbox(app)
    post = factory.post(factory.user("author", "writer", email="writer@example.com"))
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"),
                    json={"body": "Mail me this"})  # fmt: skip
    assert response.status_code == 201
    (mail,) = outbox.messages()
    assert mail["To"] == "writer@example.com"
    assert "Mail me this" in mail.get_content()
