"""A save or a delete overtaken by another request, made to happen deterministically:
the other request's write lands (on a connection of its own) just before this one's
is flushed. Through every door the answer is 404 (the post went meanwhile) or 409
(it was saved meanwhile), never a 500, and nothing is half-written. The same races
with real threads and a real server are in tests/test_concurrency.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from inkstand.accounts.models import User
from inkstand.blog.models import Post, Revision
from inkstand.extensions import db
from tests.helpers import Doors, Factory, form_values


@contextmanager
def meanwhile(statement: Any) -> Iterator[None]:
    """Run ``statement`` on a connection of its own, committed, just before a session
    next flushes a change to a post: another request's write, landing first."""
    landed: list[bool] = []

    def land(session: Session, *_: Any) -> None:
        changed = session.dirty | session.deleted
        if landed or not any(isinstance(row, Post) for row in changed):
            return
        landed.append(True)
        with db.engine.begin() as connection:
            connection.execute(statement)

    event.listen(Session, "before_flush", land)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", land)
    assert landed, "no post was flushed"


@pytest.fixture
def writer(factory: Factory) -> User:
    factory.user("admin")  # the first account
    return factory.user("author")


@pytest.fixture
def doors(app: Flask, client: FlaskClient, writer: User) -> Doors:
    return Doors(app, client, writer)


def revisions(post_id: int) -> int:
    db.session.rollback()
    count = select(func.count()).select_from(Revision).where(Revision.post_id == post_id)
    return db.session.scalar(count) or 0


Request = Callable[[], Any]


def _form(doors: Doors, page: str, action: str, **changes: str) -> Request:
    """The form on ``page`` as shown (its CSRF token read now), sent to ``action`` later."""
    values = {**form_values(doors.client, page), **changes}
    return lambda: doors.client.post(action, data=values)


SAVES: dict[str, Callable[[Doors, Post], Request]] = {
    "form": lambda doors, post: _form(
        doors, f"/posts/{post.id}/edit", f"/posts/{post.id}/edit", title="Late"
    ),
    "v1": lambda doors, post: (
        lambda: doors.v1("PATCH", f"/api/v1/posts/{post.id}", {"title": "Late"})
    ),
    "realworld": lambda doors, post: (
        lambda: doors.realworld("PUT", f"/api/articles/{post.slug}", {"article": {"title": "Late"}})
    ),
}
DELETES: dict[str, Callable[[Doors, Post], Request]] = {
    "form": lambda doors, post: _form(doors, f"/posts/{post.id}/edit", f"/posts/{post.id}/delete"),
    "v1": lambda doors, post: lambda: doors.v1("DELETE", f"/api/v1/posts/{post.id}"),
    "realworld": lambda doors, post: (
        lambda: doors.realworld("DELETE", f"/api/articles/{post.slug}")
    ),
}


@pytest.mark.parametrize("door", SAVES)
def test_a_save_of_a_post_deleted_meanwhile_is_a_404(
    factory: Factory, doors: Doors, writer: User, door: str
) -> None:
    post = factory.post(writer, tags="kept")
    post_id = post.id
    send = SAVES[door](doors, post)
    with meanwhile(delete(Post).where(Post.id == post_id)):
        response = send()
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
    assert revisions(post_id) == 0
    assert db.session.scalar(select(Post.id).where(Post.id == post_id)) is None


@pytest.mark.parametrize("door", DELETES)
def test_a_delete_of_a_post_saved_meanwhile_is_a_409(
    factory: Factory, doors: Doors, writer: User, door: str
) -> None:
    post = factory.post(writer)
    post_id, version = post.id, post.version
    newer = update(Post).where(Post.id == post_id).values(version=version + 1, title="Newer")
    send = DELETES[door](doors, post)
    with meanwhile(newer):
        response = send()
    assert response.status_code == 409, response.get_data(as_text=True)[:300]
    db.session.rollback()
    assert db.session.scalar(select(Post.title).where(Post.id == post_id)) == "Newer"


@pytest.mark.parametrize("door", DELETES)
def test_a_delete_of_a_post_deleted_meanwhile_is_a_404(
    factory: Factory, doors: Doors, writer: User, door: str
) -> None:
    post = factory.post(writer)
    post_id = post.id
    send = DELETES[door](doors, post)
    with meanwhile(delete(Post).where(Post.id == post_id)):
        response = send()
    assert response.status_code == 404, response.get_data(as_text=True)[:300]
