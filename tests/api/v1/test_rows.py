"""Lists send their items as rows already in JSON's types: byte for byte what the
documented schemas dump, whatever the item holds."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from inkstand import runtime
from inkstand.accounts.models import User
from inkstand.api.v1.schemas import (
    CommentListSchema,
    CommentSchema,
    PostListSchema,
    PostSummarySchema,
    comment_json,
    comment_row,
    post_summary_row,
)
from inkstand.blog import reading
from inkstand.comments import reading as comments
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import Factory, change_account


def _text(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


@pytest.fixture
def writers(factory: Factory) -> tuple[User, User]:
    ada = change_account(
        factory.user(username="ada"), display_name="Ada Lovelace", image_url="https://x.test/a.png"
    )
    return ada, factory.user(username="bob")


def test_a_post_row_is_its_schema_dump(app: Flask, factory: Factory, writers) -> None:
    ada, bob = writers
    plain = factory.post(bob, "Plain")
    rich = factory.post(
        ada, "Rich", tags="python, web", coauthors=["bob"], excerpt="Short.",
        meta_title="Meta", canonical_url="https://elsewhere.test/rich", featured=True,
        comments_closed=True, cover_alt='A "quoted" <heron> & co', cover_caption="Dawn — été",
    )  # fmt: skip
    later = factory.post(ada, "Later", publish_at=utcnow() + timedelta(days=1))
    draft = factory.post(ada, "Draft", status="draft")
    with app.test_request_context():
        bob.avatar_name = "f00d.png"  # an uploaded avatar: an absolute URL of its own
        rich.cover_name = "c0ffee.jpg"  # a cover, its image not needed to show it
        now = runtime.now()
        for post in (plain, rich, later, draft):
            assert _text(post_summary_row(post, now)) == _text(PostSummarySchema().dump(post))
        db.session.rollback()


def test_the_post_list_is_its_schema_dump(app: Flask, client, factory: Factory, writers) -> None:
    ada, bob = writers
    for number in range(3):
        factory.post(ada if number % 2 else bob, f"Post {number}", tags="one, two")
    sent = client.get("/api/v1/posts?limit=2")
    with app.test_request_context():
        page = reading.listing(db.session, None, runtime.now(), 2)
        dumped = PostListSchema().dump({"posts": page.items, "next_cursor": page.older})
        assert sent.get_data() == app.json.response(dumped).get_data()
    assert sent.headers["Link"].endswith('; rel="next"')


def test_a_comment_row_is_its_schema_dump(app: Flask, factory: Factory, writers) -> None:
    ada, bob = writers
    post = factory.post(ada, "Discussed")
    first = factory.comment(bob, post, "First")
    reply = factory.comment(ada, post, "Reply", parent=first)
    with app.test_request_context():
        reply.edited_at = utcnow()
        for comment, shown, author in ((first, True, bob), (reply, True, ada),
                                       (first, False, bob), (reply, True, None)):  # fmt: skip
            row = comment_row(comment, shown, author)
            assert _text(comment_json(comment, shown, author)) == _text(CommentSchema().dump(row))
        db.session.rollback()


def test_the_comment_list_is_its_schema_dump(app: Flask, client, factory: Factory, writers) -> None:
    ada, bob = writers
    post = factory.post(ada, "Discussed")
    first = factory.comment(bob, post, "First")
    factory.comment(ada, post, "Reply", parent=first)
    sent = client.get(f"/api/v1/posts/{post.id}/comments")
    with app.test_request_context():
        now = runtime.now()
        page = comments.thread_page(db.session, None, post, now, "open", 20)
        rows = [comment_row(n.comment, n.shown, n.comment.author) for n in page.items]
        dumped = CommentListSchema().dump({"comments": rows, "next_cursor": page.newer})
        assert sent.get_data() == app.json.response(dumped).get_data()
