"""Autosave keeps one working revision per post and writer, respects the version
check, and gives way to a real save, which makes the revision."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.blog.models import Post, Revision, WorkingRevision
from inkstand.blog.services import autosave
from inkstand.db import utcnow
from inkstand.exceptions import Conflict, Forbidden, Invalid, NotFound
from inkstand.extensions import db
from tests.helpers import POST_BODY_MAX, change, csrf_token, form_values, login

# The account, the site settings, the post with its author, its tags, the working copy;
# its statistics panel: the last rolled-up day, the days, the referrers.
EDIT_PAGE_QUERIES = 8
DRAFT = autosave.Draft(title="Working title", body="Half a thought", excerpt="", tags="a, b")


def _keep(post: Post, actor, draft: autosave.Draft = DRAFT, based_on: int = 1):
    return autosave.autosave(db.session, actor, post.id, draft, based_on, utcnow(), POST_BODY_MAX)


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id))) or 0


def test_autosaves_update_one_working_revision_and_leave_the_post(factory):
    author = factory.user()
    post = factory.post(author, "Saved title", body="Saved body.")
    for n in range(5):
        _keep(post, author, autosave.Draft(title="T", body=f"typing {n}"))
    assert _count(WorkingRevision) == 1
    assert _count(Revision) == 1  # autosaves make no revision
    working = db.session.scalar(select(WorkingRevision))
    assert working.body_source == "typing 4"
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.body_source, stored.version) == ("Saved body.", 1)


def test_each_writer_has_her_own_working_revision(factory):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author)
    _keep(post, author)
    _keep(post, editor, autosave.Draft(title="Editor's", body="x"))
    assert _count(WorkingRevision) == 2


def test_a_real_save_makes_a_revision_and_ends_the_working_one(factory):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author)
    _keep(post, author)
    _keep(post, editor)
    change(post, author, body="Saved for real.")
    assert _count(Revision) == 2
    owners = db.session.scalars(select(WorkingRevision.editor_id)).all()
    assert owners == [editor.id]  # only the writer who saved is done with hers


def test_an_autosave_over_a_newer_version_is_refused(factory):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author)
    change(post, editor, body="The editor saved.")
    with pytest.raises(Conflict) as refused:
        _keep(post, author, based_on=1)
    assert refused.value.current == 2
    assert _count(WorkingRevision) == 0


def test_the_working_copy_is_offered_only_on_the_version_it_was_made_to(factory):
    author, editor = factory.user(), factory.user("editor")
    post = factory.post(author)
    _keep(post, author)
    assert autosave.working_copy(db.session, author, post).title == "Working title"
    assert autosave.working_copy(db.session, editor, post) is None
    assert autosave.working_copy(db.session, None, post) is None
    change(post, editor, title="Moved on")
    assert autosave.working_copy(db.session, author, post) is None


@pytest.mark.parametrize(("role", "allowed"), [
    ("admin", True), ("editor", True), ("author", False), ("reader", False),
])  # fmt: skip
def test_who_may_autosave_anothers_post(factory, role, allowed):
    factory.user("admin", "first")
    owner = factory.user()
    post = factory.post(owner)
    if allowed:
        assert _keep(post, factory.user(role)).post_id == post.id
    else:
        with pytest.raises(Forbidden):
            _keep(post, factory.user(role))
    with pytest.raises(Forbidden):
        _keep(post, None)


def test_a_missing_post_is_not_found(factory):
    with pytest.raises(NotFound):
        autosave.autosave(db.session, factory.user(), 999, DRAFT, 1, utcnow(), POST_BODY_MAX)


@pytest.mark.parametrize("field", ["title", "body", "excerpt", "tags"])
def test_a_field_too_long_is_refused_and_nothing_kept(factory, field):
    author = factory.user()
    post = factory.post(author)
    too_long = autosave.Draft(**{field: "x" * (POST_BODY_MAX + 1)})
    with pytest.raises(Invalid) as refused:
        _keep(post, author, too_long)
    assert field in refused.value.errors
    assert _count(WorkingRevision) == 0


# Through the site


def _autosave(client, post: Post, **fields):
    token = csrf_token(client, f"/posts/{post.id}/edit")
    data = {"title": "T", "body": "B", "excerpt": "", "tags": "", "version": "1", **fields}
    return client.post(f"/posts/{post.id}/autosave", data=data, headers={"X-CSRFToken": token})


def test_the_edit_page_offers_the_autosaved_text(client, factory):
    author = factory.user()
    post = factory.post(author, "Saved", body="Saved body.")
    login(client, author)
    response = _autosave(client, post, body="Autosaved words.")
    assert response.status_code == 200
    assert "saved_at" in response.get_json()
    page = client.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert "Autosaved words." in page
    assert "These are your changes autosaved at" in page
    saved = client.get(f"/posts/{post.id}/edit?saved=1").get_data(as_text=True)
    assert "Saved body." in saved
    assert "Autosaved words." not in saved
    # Saving the form as shown makes the revision and ends the working copy.
    form = form_values(client, f"/posts/{post.id}/edit")
    assert client.post(f"/posts/{post.id}/edit", data=form).status_code == 302
    assert _count(WorkingRevision) == 0
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source == "Autosaved words."


@pytest.mark.parametrize(("fields", "status"), [
    ({"version": "2"}, 409), ({"version": ""}, 422), ({"version": "x"}, 422),
    ({"body": "x" * (POST_BODY_MAX + 1)}, 422),
])  # fmt: skip
def test_bad_autosaves_are_refused_without_a_crash(client, factory, fields, status):
    author = factory.user()
    post = factory.post(author)
    login(client, author)
    assert _autosave(client, post, **fields).status_code == status
    assert _count(WorkingRevision) == 0


def test_autosave_needs_a_csrf_token(client, factory):
    author = factory.user()
    post = factory.post(author)
    login(client, author)
    response = client.post(f"/posts/{post.id}/autosave", data={"body": "x", "version": "1"})
    assert response.status_code == 400


# What the editor's pages cost


def _queries_of(client, queries, method: str, url: str, **kwargs) -> int:
    queries.clear()
    response = client.open(url, method=method, **kwargs)
    assert response.status_code == 200
    return len(queries)


def test_the_edit_page_costs_the_same_however_long_the_history(client, factory, queries):
    author = factory.user()
    post = factory.post(author, tags=["a", "b"])
    login(client, author)
    edit = f"/posts/{post.id}/edit"
    first = _queries_of(client, queries, "GET", edit)
    for n in range(20):
        change(post, author, body=f"Version {n}")
    _keep(post, author, based_on=21)
    later = _queries_of(client, queries, "GET", edit)
    assert first == later == EDIT_PAGE_QUERIES
    assert "These are your changes autosaved at" in client.get(edit).get_data(as_text=True)


def test_a_preview_reads_only_the_account(client, factory, queries):
    login(client, factory.user())
    token = csrf_token(client, "/")
    count = _queries_of(
        client, queries, "POST", "/posts/preview", data={"body": "*x* " * 500},
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert count == 1
