"""Post summaries drawn once per process and reused: every change that shows retires them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand.accounts.models import User
from inkstand.blog.fragments import Fragments
from inkstand.blog.models import Post
from inkstand.blog.services import favourites
from inkstand.extensions import db
from tests.helpers import Factory, change, change_account, login


@pytest.fixture
def writer(factory: Factory) -> User:
    return change_account(factory.user(username="writer"), display_name="Wren Writer")


@pytest.fixture
def post(factory: Factory, writer: User) -> Post:
    return factory.post(writer, "The first title", tags="gardens")


@pytest.fixture
def reader(client: FlaskClient, factory: Factory) -> User:
    user = factory.user("reader", username="reader")
    login(client, user)
    return user


def _summary(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('<article class="summary">')
    return html[start : html.index("</article>", start)]


def _store(app: Flask) -> Fragments:
    store: Fragments = app.extensions["inkstand.fragments"]
    return store


def test_a_summary_is_drawn_once_and_served_again(app, client, post, reader):
    first = _summary(client)
    kept = len(_store(app))
    assert kept >= 1
    assert _summary(client) == first
    assert _summary(client, "/tags/gardens") == first
    assert len(_store(app)) == kept


def test_an_edit_retires_the_summary(client, post, writer, reader):
    assert "The first title" in _summary(client)
    change(post, writer, title="A second title", tags="orchards")
    summary = _summary(client)
    assert "A second title" in summary
    assert "#orchards" in summary
    assert "#gardens" not in summary


def test_a_renamed_author_retires_the_summary(client, post, writer, reader):
    assert "Wren Writer" in _summary(client)
    change_account(writer, display_name="Wren Renamed", username="wren")
    summary = _summary(client)
    assert "Wren Renamed" in summary
    assert "/authors/wren" in summary
    assert "Wren Writer" not in summary


def test_a_new_comment_and_a_favourite_show_in_the_summary(client, factory, post, writer, reader):
    assert "comment" not in _summary(client)
    factory.comment(reader, post)
    assert "1 comment" in _summary(client)
    favourites.favourite(db.session, reader, post.id)
    assert "1 favourite" in _summary(client)


def test_the_store_is_bounded():
    store = Fragments(2)
    for n in range(3):
        store.put(n, f"<p>{n}</p>")  # type: ignore[arg-type]
    assert len(store) == 2
    assert store.get(0) is None
    assert store.get(2) == "<p>2</p>"


def test_a_new_avatar_retires_the_summary(client, post, writer, reader):
    assert 'class="avatar avatar-initial' in _summary(client)
    writer.avatar_name = "a" * 64 + ".png"
    db.session.commit()
    assert f'src="/media/{"a" * 64}.png"' in _summary(client)
