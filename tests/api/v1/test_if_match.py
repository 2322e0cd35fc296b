"""Changing and publishing a post through the native API with If-Match: refused with
412 once the post was saved since the ETag was read; without If-Match, as before."""

from __future__ import annotations

import pytest

from inkstand.blog.models import Post
from inkstand.extensions import db
from tests.helpers import Doors, assert_problem, change


def _read(call, post: Post, token: str) -> str:
    response = call("GET", f"/api/v1/posts/{post.id}", token)
    assert response.status_code == 200
    return response.headers["ETag"]


def _stored(post: Post) -> Post:
    db.session.expire_all()
    found = db.session.get(Post, post.id)
    assert found is not None
    return found


def test_the_etag_names_the_version_and_a_change_answers_the_next_one(call, factory, token_for):
    author = factory.user()
    post = factory.post(author)
    token = token_for(author)
    etag = _read(call, post, token)
    assert etag.startswith('"v1-')
    patched = call(
        "PATCH", f"/api/v1/posts/{post.id}", token, json={"title": "Two"},
        headers={"If-Match": etag},
    )  # fmt: skip
    assert patched.status_code == 200
    assert patched.headers["ETag"].startswith('"v2-')
    assert patched.headers["ETag"] == _read(call, post, token)


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("PATCH", "", {"title": "Mine"}), ("POST", "/publish", {}),
])  # fmt: skip
def test_a_change_over_a_newer_version_is_412(call, factory, token_for, method, suffix, body):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author, "Start", status="draft")
    token = token_for(author)
    etag = _read(call, post, token)
    change(post, editor, title="The editor's")
    response = call(
        method, f"/api/v1/posts/{post.id}{suffix}", token, json=body, headers={"If-Match": etag}
    )
    assert_problem(response, 412, "precondition-failed")
    stored = _stored(post)
    assert (stored.title, stored.status, stored.version) == ("The editor's", "draft", 2)


@pytest.mark.parametrize(
    "sent", ['"nonsense"', 'W/"v1-abc"', '"v1-a", "v1-b"', '"vx-1"', '""', "garbage,,"]
)
def test_a_tag_that_names_no_version_never_matches(call, factory, token_for, sent):
    author = factory.user()
    post = factory.post(author)
    response = call(
        "PATCH", f"/api/v1/posts/{post.id}", token_for(author), json={"title": "No"},
        headers={"If-Match": sent},
    )  # fmt: skip
    assert_problem(response, 412, "precondition-failed")
    assert _stored(post).title != "No"


@pytest.mark.parametrize("headers", [{}, {"If-Match": "*"}])
def test_without_a_version_the_change_applies_to_what_is_stored(call, factory, token_for, headers):
    author = factory.user()
    post = factory.post(author)
    change(post, author, title="Moved on")
    response = call(
        "PATCH", f"/api/v1/posts/{post.id}", token_for(author), json={"title": "Last"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 200
    assert _stored(post).title == "Last"


def test_the_realworld_api_keeps_last_write_wins(client, factory):
    author = factory.user()
    post = factory.post(author, "Start")
    doors = Doors(client.application, client, author)
    change(post, author, title="Moved on")
    response = doors.realworld(
        "PUT", f"/api/articles/{_stored(post).slug}", {"article": {"title": "Last word"}}
    )
    assert response.status_code == 200
    assert _stored(post).title == "Last word"
