"""Who may do what, through HTTP: every role against every door, and the data after.

Anonymous visitors are sent to log in; a logged-in account without the right
gets 403; a post someone may not see is 404, so its existence is not revealed.
After every write the database is read again: a refused request changed
nothing, an allowed one did what it said.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from inkstand.accounts.models import Follow, User
from inkstand.blog.models import Post, Revision
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site.models import SiteSetting
from tests.helpers import Factory, change, fresh, login, submit

ROLES = ["anonymous", "reader", "author", "editor", "admin"]
LOGIN = "login"  # a 302 to the log-in page


@dataclass(frozen=True)
class World:
    """The posts and accounts one test acts on, by id and slug."""

    own: int  # a published post of the actor's (for a visitor: someone's)
    own_draft: str
    other: int  # a published post of another author
    other_slug: str
    other_draft: str
    other_scheduled: str
    target: int  # a reader whose role an admin may change
    own_held: int  # the target's held comment on the actor's own post
    other_held: int  # and on the other author's post
    other_approved: int  # an approved comment of the target's on the other post


@pytest.fixture
def world(request: pytest.FixtureRequest, client: FlaskClient, factory: Factory) -> World:
    role: str = request.param
    factory.user("admin", "boss")
    someone = factory.user("author", "someone")
    # A reader who was an author once: her old posts stay hers, but she may not write.
    actor = None if role == "anonymous" else factory.user("author" if role == "reader" else role)
    owner = actor or someone
    own = factory.post(owner, "Own post")
    own_draft = factory.post(owner, "Own draft", status="draft")
    other = factory.post(someone, "Other post")
    change(other, someone, body="Revised")  # a second revision, so restoring the first saves
    other_draft = factory.post(someone, "Other draft", status="draft")
    scheduled = factory.post(someone, "Other scheduled", publish_at=utcnow() + timedelta(days=30))
    target = factory.user("reader", "target")
    own_held = factory.comment(target, own, "Held on own", policy="hold_all")
    other_held = factory.comment(target, other, "Held on other", policy="hold_all")
    other_approved = factory.comment(target, other, "Approved on other")
    if actor is not None:
        if role == "reader":
            actor.role = "reader"
            db.session.commit()
        login(client, actor)
    return World(
        own.id, own_draft.slug, other.id, other.slug, other_draft.slug, scheduled.slug, target.id,
        own_held.id, other_held.id, other_approved.id,
    )  # fmt: skip


def post_title(post_id: int) -> str | None:
    return fresh(select(Post.title).where(Post.id == post_id))


def in_trash(post_id: int) -> bool:
    return fresh(select(Post.deleted_at).where(Post.id == post_id)) is not None


def post_count() -> int:
    return int(fresh(select(func.count(Post.id))))


def comment_status(comment_id: int) -> str | None:
    return fresh(select(Comment.status).where(Comment.id == comment_id))


def favourites_of(slug: str) -> int:
    return int(fresh(select(Post.favourite_count).where(Post.slug == slug)))


def draft_id(slug: str) -> int:
    return int(fresh(select(Post.id).where(Post.slug == slug)))


def revision_count(post_id: int) -> int:
    return int(fresh(select(func.count(Revision.id)).where(Revision.post_id == post_id)))


EDIT = {"title": "Edited title", "body": "Edited body", "status": "published"}
SETTINGS = {"title": "Taken over", "posts_per_page": "7", "new_account_role": "author"}


@dataclass(frozen=True)
class Action:
    """A request, and (for a write) a check of whether it took effect."""

    send: Callable[[FlaskClient, World], TestResponse]
    took_effect: Callable[[World], bool] | None = None


def _edit(client: FlaskClient, post_id: int) -> TestResponse:
    return submit(client, f"/posts/{post_id}/edit", EDIT)


ACTIONS: dict[str, Action] = {
    "open-write": Action(lambda c, w: c.get("/write")),
    "create-post": Action(
        lambda c, w: submit(c, "/write", {**EDIT, "title": "Created by the test"}),
        lambda w: fresh(select(func.count()).where(Post.title == "Created by the test")) == 1,
    ),
    "manage-posts": Action(lambda c, w: c.get("/manage")),
    "open-edit-own": Action(lambda c, w: c.get(f"/posts/{w.own}/edit")),
    "edit-own": Action(lambda c, w: _edit(c, w.own), lambda w: post_title(w.own) == EDIT["title"]),
    "open-edit-other": Action(lambda c, w: c.get(f"/posts/{w.other}/edit")),
    "edit-other": Action(
        lambda c, w: _edit(c, w.other), lambda w: post_title(w.other) == EDIT["title"]
    ),
    "delete-own": Action(
        lambda c, w: submit(c, f"/posts/{w.own}/delete"), lambda w: in_trash(w.own)
    ),
    "delete-other": Action(
        lambda c, w: submit(c, f"/posts/{w.other}/delete"), lambda w: in_trash(w.other)
    ),
    "view-other-published": Action(lambda c, w: c.get(f"/posts/{w.other_slug}")),
    "view-own-draft": Action(lambda c, w: c.get(f"/posts/{w.own_draft}")),
    "view-other-draft": Action(lambda c, w: c.get(f"/posts/{w.other_draft}")),
    "view-other-scheduled": Action(lambda c, w: c.get(f"/posts/{w.other_scheduled}")),
    "revisions-own": Action(lambda c, w: c.get(f"/posts/{w.own}/revisions")),
    "revisions-other": Action(lambda c, w: c.get(f"/posts/{w.other}/revisions")),
    "compare-other": Action(lambda c, w: c.get(f"/posts/{w.other}/revisions/compare?from=1&to=1")),
    # Restoring the first of two revisions saves it again: a third appears.
    "restore-other": Action(
        lambda c, w: submit(c, f"/posts/{w.other}/revisions/1/restore"),
        lambda w: revision_count(w.other) == 3,
    ),
    "admin-users": Action(lambda c, w: c.get("/admin/users")),
    "admin-settings": Action(lambda c, w: c.get("/admin/settings")),
    "admin-save-settings": Action(
        lambda c, w: submit(c, "/admin/settings", SETTINGS),
        lambda w: (
            fresh(select(SiteSetting.value).where(SiteSetting.key == "title")) == "Taken over"
        ),
    ),
    "change-role": Action(
        lambda c, w: submit(c, f"/admin/users/{w.target}/role", {"role": "editor"}),
        lambda w: fresh(select(User.role).where(User.id == w.target)) == "editor",
    ),
    "comment-other": Action(
        lambda c, w: submit(c, f"/posts/{w.other}/comments", {"body": "Said by the test"}),
        lambda w: fresh(select(func.count()).where(Comment.body_source == "Said by the test")) == 1,
    ),
    "moderation-queue": Action(lambda c, w: c.get("/moderation")),
    "approve-comment-own": Action(
        lambda c, w: submit(c, "/moderation", {"ids": str(w.own_held), "action": "approve"}),
        lambda w: comment_status(w.own_held) == "approved",
    ),
    "approve-comment-other": Action(
        lambda c, w: submit(c, "/moderation", {"ids": str(w.other_held), "action": "approve"}),
        lambda w: comment_status(w.other_held) == "approved",
    ),
    "delete-comment-other": Action(
        lambda c, w: submit(c, f"/comments/{w.other_approved}/delete"),
        lambda w: comment_status(w.other_approved) is None,
    ),
    "edit-comment-other": Action(
        lambda c, w: submit(c, f"/comments/{w.other_approved}/edit", {"body": "Edited"}),
        lambda w: (
            fresh(select(Comment.body_source).where(Comment.id == w.other_approved)) == "Edited"
        ),
    ),
    "follow-author": Action(
        lambda c, w: submit(c, "/authors/someone/follow"),
        lambda w: fresh(select(func.count()).select_from(Follow)) == 1,
    ),
    "unfollow-author": Action(lambda c, w: submit(c, "/authors/someone/unfollow")),
    "read-feed": Action(lambda c, w: c.get("/feed")),
    "favourite-other": Action(
        lambda c, w: submit(c, f"/posts/{w.other}/favourite"),
        lambda w: favourites_of(w.other_slug) == 1,
    ),
    "favourite-other-draft": Action(
        lambda c, w: submit(c, f"/posts/{draft_id(w.other_draft)}/favourite"),
        lambda w: favourites_of(w.other_draft) == 1,
    ),
    "unfavourite-other": Action(lambda c, w: submit(c, f"/posts/{w.other}/unfavourite")),
}

# Expected answer per role: anonymous, reader, author, editor, admin.
MATRIX: dict[str, tuple[int | str, ...]] = {
    "open-write": (LOGIN, 403, 200, 200, 200),
    "create-post": (LOGIN, 403, 302, 302, 302),
    "manage-posts": (LOGIN, 403, 200, 200, 200),
    # A reader's "own" post is one she wrote as an author before being made a reader.
    "open-edit-own": (LOGIN, 403, 200, 200, 200),
    "edit-own": (LOGIN, 403, 302, 302, 302),
    "open-edit-other": (LOGIN, 403, 403, 200, 200),
    "edit-other": (LOGIN, 403, 403, 302, 302),
    "delete-own": (LOGIN, 403, 302, 302, 302),
    "delete-other": (LOGIN, 403, 403, 302, 302),
    "view-other-published": (200, 200, 200, 200, 200),
    "view-own-draft": (404, 404, 200, 200, 200),
    "view-other-draft": (404, 404, 404, 200, 200),
    "view-other-scheduled": (404, 404, 404, 200, 200),
    "revisions-own": (LOGIN, 403, 200, 200, 200),
    "revisions-other": (LOGIN, 403, 403, 200, 200),
    "compare-other": (LOGIN, 403, 403, 200, 200),
    "restore-other": (LOGIN, 403, 403, 302, 302),
    "admin-users": (LOGIN, 403, 403, 403, 200),
    "admin-settings": (LOGIN, 403, 403, 403, 200),
    "admin-save-settings": (LOGIN, 403, 403, 403, 302),
    "change-role": (LOGIN, 403, 403, 403, 302),
    # Every account comments; moderators are editors, admins and a post's own author.
    "comment-other": (LOGIN, 302, 302, 302, 302),
    "moderation-queue": (LOGIN, 403, 200, 200, 200),
    "approve-comment-own": (LOGIN, 403, 302, 302, 302),
    "approve-comment-other": (LOGIN, 403, 403, 302, 302),
    "delete-comment-other": (LOGIN, 403, 403, 302, 302),
    # Only the comment's writer edits it, not even an admin.
    "edit-comment-other": (LOGIN, 403, 403, 403, 403),
    # Every account follows authors, keeps favourites of what she may read, and has a feed.
    "follow-author": (LOGIN, 302, 302, 302, 302),
    "unfollow-author": (LOGIN, 302, 302, 302, 302),
    "read-feed": (LOGIN, 200, 200, 200, 200),
    "favourite-other": (LOGIN, 302, 302, 302, 302),
    "favourite-other-draft": (LOGIN, 404, 404, 404, 404),  # only what readers may read
    "unfavourite-other": (LOGIN, 302, 302, 302, 302),
}

CASES = [
    pytest.param(role, action, expected, id=f"{action}-{role}")
    for action, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


def test_the_matrix_covers_every_action() -> None:
    assert MATRIX.keys() == ACTIONS.keys()


@pytest.mark.parametrize(("world", "action", "expected"), CASES, indirect=["world"])
def test_permission(client: FlaskClient, world: World, action: str, expected: int | str) -> None:
    posts_before = post_count()

    response = ACTIONS[action].send(client, world)

    location = urlsplit(response.headers.get("Location", ""))
    if expected == LOGIN:
        assert response.status_code == 302
        assert location.path == "/login"
    else:
        assert response.status_code == expected, response.get_data(as_text=True)
        if expected == 302:
            assert location.path != "/login"

    allowed = expected == 302
    took_effect = ACTIONS[action].took_effect
    if took_effect is not None:
        assert took_effect(world) == allowed, "the data does not match the answer"
    change = {"create-post": 1}.get(action, 0)  # a deleted post waits in the trash
    assert post_count() == posts_before + (change if allowed else 0)


@pytest.mark.parametrize("world", ["author"], indirect=True)
def test_a_refused_edit_leaves_no_revision(client: FlaskClient, world: World) -> None:
    before = revision_count(world.other)
    assert _edit(client, world.other).status_code == 403
    assert submit(client, f"/posts/{world.other}/revisions/1/restore").status_code == 403
    assert revision_count(world.other) == before
    assert post_title(world.other) == "Other post"


@pytest.mark.parametrize("world", ["admin"], indirect=True)
def test_an_admin_may_not_demote_the_last_admin(client: FlaskClient, world: World) -> None:
    """Two admins here (boss and the actor): demoting one works, the last one does not."""
    boss = fresh(select(User.id).where(User.username == "boss"))
    assert submit(client, f"/admin/users/{boss}/role", {"role": "reader"}).status_code == 302
    assert fresh(select(User.role).where(User.id == boss)) == "reader"
    me = fresh(select(User.id).where(User.role == "admin"))
    response = submit(client, f"/admin/users/{me}/role", {"role": "reader"}, follow_redirects=True)
    assert "The site needs at least one admin." in response.get_data(as_text=True)
    assert fresh(select(User.role).where(User.id == me)) == "admin"
