"""No lost updates: a save over a newer version than the one it was based on is
refused, in the service and on the edit page, which shows the other change."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.blog.models import Post, Revision
from inkstand.blog.services import posts
from inkstand.blog.services import revisions as history
from inkstand.db import utcnow
from inkstand.exceptions import Conflict
from inkstand.extensions import db
from tests.helpers import POST_BODY_MAX, change, form_values, login, post_changes


def test_every_save_raises_the_version(factory):
    author = factory.user()
    post = factory.post(author)
    assert post.version == 1
    assert change(post, author, title="Again").version == 2


def test_a_save_based_on_an_older_version_is_refused_and_writes_nothing(factory):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author, "Mine", body="First words.")
    change(post, editor, body="The editor's words.")
    with pytest.raises(Conflict) as refused:
        posts.change_post(
            db.session, author, post.id, post_changes(body="The author's words."), utcnow(),
            POST_BODY_MAX, based_on=1,
        )  # fmt: skip
    assert refused.value.current == 2
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "The editor's words."
    assert db.session.scalar(select(func.count(Revision.id))) == 2


def test_a_save_based_on_the_current_version_goes_through(factory):
    author = factory.user()
    post = factory.post(author)
    saved = posts.change_post(
        db.session, author, post.id, post_changes(title="Next"), utcnow(), POST_BODY_MAX,
        based_on=1,
    )  # fmt: skip
    assert (saved.title, saved.version) == ("Next", 2)


def test_publishing_an_older_version_is_refused(factory):
    author = factory.user()
    post = factory.post(author, status="draft")
    change(post, author, title="Renamed")
    with pytest.raises(Conflict):
        posts.publish_post(db.session, author, post.id, None, utcnow(), POST_BODY_MAX, 1)
    db.session.expire_all()
    assert db.session.get(Post, post.id).status == "draft"


def test_two_saves_of_one_version_cannot_both_land(app: Flask, factory):
    """The check is in the UPDATE itself: a save that read version 1 before another
    save of version 1 committed is refused at commit, not written over it."""
    author = factory.user()
    post = factory.post(author, body="Start.")
    post_id = post.id
    db.session.expire_all()
    loaded = db.session.get(Post, post_id)
    assert loaded is not None
    assert loaded.version == 1
    with app.app_context():  # another request, another session, saves first
        someone = db.session.get(User, author.id)
        posts.change_post(
            db.session, someone, post_id, post_changes(body="Theirs."), utcnow(), POST_BODY_MAX
        )
    with pytest.raises(Conflict) as refused:
        posts.change_post(
            db.session, author, post_id, post_changes(body="Mine."), utcnow(), POST_BODY_MAX,
            based_on=1,
        )  # fmt: skip
    assert refused.value.current == 2
    db.session.expire_all()
    assert db.session.get(Post, post_id).body_source == "Theirs."


def test_the_diff_shows_the_saved_text_against_mine(factory):
    author = factory.user()
    post = factory.post(author, "Title", body="one\ntwo\nthree", tags=["a"])
    lines = history.diff_with_saved(post, post_changes(body="one\n2\nthree"))
    changed = [(line.kind, line.text) for line in lines if line.kind in {"added", "removed"}]
    assert changed == [("removed", "two"), ("added", "2")]


# The edit page, two people at once


@pytest.fixture
def tabs(client):
    """Two browsers of their own (each request in its own app context, as in production)."""
    return client, client.application.test_client()


def _open(client, post: Post) -> tuple[str, dict[str, str]]:
    page = f"/posts/{post.id}/edit"
    return page, form_values(client, page)


def test_editor_and_author_editing_one_post_the_second_save_is_refused(tabs, factory):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author, "Shared", body="line one\nline two")
    author_tab, editor_tab = tabs
    login(author_tab, author)
    login(editor_tab, editor)
    page, author_form = _open(author_tab, post)
    _, editor_form = _open(editor_tab, post)
    assert author_form["version"] == editor_form["version"] == "1"

    saved = editor_tab.post(page, data={**editor_form, "body": "line one\nline 2 by the editor"})
    assert saved.status_code == 302

    refused = author_tab.post(page, data={**author_form, "body": "line one\nline two\nmore"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Someone else saved this post while you were editing" in html
    assert "line 2 by the editor" in html  # the other change, in the diff
    assert 'name="overwrite" value="2"' in html
    assert "line two\nmore" in html  # the author's text is kept in the form
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "line one\nline 2 by the editor"

    again = author_tab.post(page, data={**author_form, "body": "line one\nline two\nmore"})
    assert again.status_code == 409  # Save alone keeps refusing: overwriting is a choice

    merged = "line one\nline 2 by the editor\nmore"
    overwrite = author_tab.post(page, data={**author_form, "body": merged, "overwrite": "2"})
    assert overwrite.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.body_source, stored.version) == (merged, 3)


def test_overwriting_a_version_that_is_no_longer_current_is_refused_too(client, factory):
    author = factory.user()
    post = factory.post(author, body="v1")
    change(post, author, body="v2")
    change(post, author, body="v3")
    login(client, author)
    page, form = _open(client, post)
    response = client.post(page, data={**form, "version": "1", "overwrite": "2", "body": "x"})
    assert response.status_code == 409
    assert 'name="overwrite" value="3"' in response.get_data(as_text=True)


@pytest.mark.parametrize("version", ["abc", "-1", "1e9999"])
def test_a_broken_version_is_a_form_error_not_a_crash(client, factory, version):
    author = factory.user()
    post = factory.post(author)
    login(client, author)
    page, form = _open(client, post)
    response = client.post(page, data={**form, "version": version, "title": "New"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Post, post.id).version == 1
