"""Every door shows a post's thread alike: the post page, the native API's paged thread
and the RealWorld API show each role exactly the same comments, with held, spam and
deleted comments in the thread."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand.accounts import tokens
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments import services
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.api.realworld.calls import token_for
from tests.helpers import Factory, bearer, login

ROLES = ["visitor", "reader", "held commenter", "post author", "editor", "admin"]
_NODE = re.compile(r'<li id="comment-(\d+)">\s*<(article|p class="comment-gone")')


@dataclass(frozen=True)
class Thread:
    post: Post
    people: dict[str, User]
    #: Comment ids by what became of them.
    ids: dict[str, int]


@pytest.fixture
def thread(factory: Factory) -> Thread:
    author, reader = factory.user("author", "writer"), factory.user("reader", "rita")
    commenter = factory.user("reader", "newcomer")
    post = factory.post(author, "Discussed")
    first = factory.comment(reader, post, "First")
    reply = factory.comment(author, post, "A reply", parent=first)
    held = factory.comment(commenter, post, "Waiting for approval", policy="hold_all")
    held_reply = factory.comment(commenter, post, "A held reply", parent=first, policy="hold_all")
    spam = factory.comment(reader, post, "Buy now")
    emptied = factory.comment(reader, post, "Deleted, with a reply")
    under = factory.comment(author, post, "Under a deleted comment", parent=emptied)
    gone = factory.comment(reader, post, "Deleted, alone")
    admin = factory.user("admin", "boss")
    services.moderate(db.session, admin, [spam.id], "spam")
    for deleted in (emptied, gone):
        services.delete_comment(db.session, reader, deleted.id, utcnow())
    people = {
        "reader": factory.user("reader", "other"), "held commenter": commenter,
        "post author": author, "editor": factory.user("editor", "eddie"), "admin": admin,
    }  # fmt: skip
    ids = {
        "first": first.id, "reply": reply.id, "held": held.id, "held reply": held_reply.id,
        "spam": spam.id, "emptied": emptied.id, "under": under.id, "gone": gone.id,
    }  # fmt: skip
    return Thread(post, people, ids)


def _page(app: Flask, post: Post, user: User | None) -> dict[int, bool]:
    """The post page's thread: each comment's id, and whether its text is shown."""
    client: FlaskClient = app.test_client()
    if user is not None:
        login(client, user)
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    return {int(found[1]): found[2] == "article" for found in _NODE.finditer(html)}


def _native(app: Flask, post: Post, user: User | None) -> dict[int, bool]:
    """The native API's thread, read two comments a page to its end."""
    client = app.test_client()
    headers = {}
    if user is not None:
        headers = bearer(tokens.create(db.session, user, "doors", "read", utcnow())[1])
    seen: dict[int, bool] = {}
    url: str | None = f"/api/v1/posts/{post.id}/comments?limit=2"
    while url:
        body = client.get(url, headers=headers).get_json()
        for row in body["comments"]:
            assert row["id"] not in seen, "a comment on two pages"
            seen[row["id"]] = row["shown"]
        cursor = body["next_cursor"]
        url = cursor and f"/api/v1/posts/{post.id}/comments?limit=2&cursor={cursor}"
    return seen


def _realworld(app: Flask, post: Post, user: User | None) -> set[int]:
    """The RealWorld API's thread (it has no placeholders: only comments shown)."""
    headers = {"Authorization": f"Token {token_for(app, user)}"} if user is not None else {}
    response = app.test_client().get(f"/api/articles/{post.slug}/comments", headers=headers)
    return {found["id"] for found in response.get_json()["comments"]}


@pytest.mark.parametrize("role", ROLES)
def test_every_door_shows_a_role_the_same_thread(app: Flask, thread: Thread, role: str):
    user = thread.people.get(role)
    page = _page(app, thread.post, user)
    assert _native(app, thread.post, user) == page
    assert _realworld(app, thread.post, user) == {i for i, shown in page.items() if shown}


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("visitor", {"first", "reply", "under"}),
        ("reader", {"first", "reply", "under"}),
        ("held commenter", {"first", "reply", "under", "held", "held reply"}),
        ("post author", {"first", "reply", "under", "held", "held reply", "spam"}),
        ("editor", {"first", "reply", "under", "held", "held reply", "spam"}),
        ("admin", {"first", "reply", "under", "held", "held reply", "spam"}),
    ],
)
def test_the_thread_each_role_sees(app: Flask, thread: Thread, role: str, sees: set[str]):
    page = _page(app, thread.post, thread.people.get(role))
    shown = {i for i, visible in page.items() if visible}
    assert shown == {thread.ids[name] for name in sees}
    # A deleted comment with a reply under it stays as a placeholder; one alone goes.
    assert {i for i, visible in page.items() if not visible} == {thread.ids["emptied"]}
