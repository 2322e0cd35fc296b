"""Bad comment input gets a clear answer — a 4xx, or the form again with its
errors (422) — never a 500 and never a half-written record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.comments.services import BODY_MAX
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import (
    BAD_CURSOR,
    REQUIRED,
    TOO_LONG,
    Factory,
    SendComment,
    assert_form_error,
    errors_on,
    login,
    submit,
)

GONE = "The comment you are replying to is not there any more."


def stored() -> dict[str, Any]:
    """What a refused request must leave as it was."""
    db.session.expire_all()
    return {
        "comments": db.session.scalar(select(func.count(Comment.id))),
        "bodies": sorted(db.session.scalars(select(Comment.body_source))),
        "statuses": sorted(db.session.scalars(select(Comment.status))),
        "counts": sorted(db.session.scalars(select(Post.comment_count))),
    }


@pytest.fixture
def world(client: FlaskClient, factory: Factory) -> dict[str, Any]:
    admin = factory.user("admin", "boss")
    site.update(db.session, admin, comment_policy="open")
    writer = factory.user("author", "writer")
    post = factory.post(writer, "Discussed")
    other = factory.post(writer, "Elsewhere")
    top = factory.comment(writer, post, "Top")
    reader = factory.user("reader", "rita")
    login(client, reader)
    return {"post": post, "other": other, "top": top, "writer": writer, "reader": reader}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("", REQUIRED, id="empty"),
        pytest.param(" \n\t ", REQUIRED, id="blank"),
        pytest.param("\x00\x00", REQUIRED, id="only-nul"),
        pytest.param("x" * (BODY_MAX + 1), TOO_LONG.format(BODY_MAX), id="too-long"),
    ],
)
def test_a_bad_body_is_refused_whole(world, send_comment: SendComment, body, message):
    before = stored()
    assert_form_error(send_comment(f"/posts/{world['post'].slug}", body), message)
    assert stored() == before


def test_nul_characters_are_dropped(world, send_comment: SendComment):
    assert send_comment(f"/posts/{world['post'].slug}", "Nul\x00 here").status_code == 302
    assert db.session.scalar(select(Comment.body_source).order_by(Comment.id.desc()).limit(1)) == (
        "Nul here"
    )


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        pytest.param("abc", "Not a valid integer value.", id="words"),
        pytest.param("1.5", "Not a valid integer value.", id="fraction"),
        pytest.param("0", "No such comment.", id="zero"),
        pytest.param("-3", "No such comment.", id="negative"),
        pytest.param("99999999999999999999", "No such comment.", id="beyond-the-column"),
        pytest.param("999999", GONE, id="unknown"),
        pytest.param("other-post", GONE, id="on-another-post"),
        pytest.param("held", GONE, id="held-by-someone-else"),
        pytest.param("deleted", GONE, id="deleted"),
    ],
)
def test_a_bad_parent_is_refused(
    client, factory, world, send_comment: SendComment, parent, message
):
    ids = {
        "other-post": factory.comment(world["writer"], world["other"], "Over there").id,
        "held": factory.comment(
            factory.user("reader"), world["post"], "Held", policy="hold_all"
        ).id,
        "deleted": world["top"].id,
    }
    if parent == "deleted":  # with a reply, so it stays as a placeholder
        factory.comment(world["writer"], world["post"], "Reply", parent=world["top"])
        login(client, world["writer"])
        submit(client, f"/comments/{world['top'].id}/delete")
        login(client, world["reader"])
    before = stored()
    response = send_comment(
        f"/posts/{world['post'].slug}", "A reply", parent_id=str(ids.get(parent, parent))
    )
    assert_form_error(response, message)
    assert stored() == before


def test_a_refused_reply_shows_what_it_answers(world, send_comment: SendComment):
    response = send_comment(f"/comments/{world['top'].id}/reply", "")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Reply to writer" in page
    assert f'name="parent_id" type="hidden" value="{world["top"].id}"' in page


@pytest.mark.parametrize(
    ("target", "status"),
    [
        pytest.param("999999", 404, id="unknown"),
        pytest.param("99999999999999999999", 404, id="beyond-the-column"),
        pytest.param("draft", 404, id="draft"),
        pytest.param("scheduled", 404, id="scheduled"),
        pytest.param("closed", 403, id="closed"),
    ],
)
def test_commenting_where_one_cannot(client, factory, world, target, status):
    writer = world["writer"]
    posts = {
        "draft": lambda: factory.post(writer, "Draft", status="draft"),
        "scheduled": lambda: factory.post(writer, publish_at=utcnow() + timedelta(days=2)),
        "closed": lambda: factory.post(writer, "Closed", comments_closed=True),
    }
    post_id = posts[target]().id if target in posts else target
    before = stored()
    response = submit(client, f"/posts/{post_id}/comments", {"body": "Hello"})
    assert response.status_code == status
    assert stored() == before


@pytest.mark.parametrize(
    "where",
    [
        "/comments/999999/reply",
        "/comments/999999/edit",
        "/comments/99999999999999999999/edit",
        "/comments/abc/reply",
    ],
)
def test_no_such_comment_is_404(client, world, where):
    assert client.get(where).status_code == 404


def test_deleting_no_such_comment_is_404(client, world):
    before = stored()
    assert submit(client, "/comments/999999/delete").status_code == 404
    assert stored() == before


def test_a_bad_edit_leaves_the_comment_as_it_was(client, world):
    comment = Factory(None).comment(world["reader"], world["post"], "Mine")  # type: ignore[arg-type]
    edit = f"/comments/{comment.id}/edit"
    before = stored()
    for body, message in [("", REQUIRED), ("x" * (BODY_MAX + 1), TOO_LONG.format(BODY_MAX))]:
        assert_form_error(submit(client, edit, {"body": body}, page=edit), message)
    assert stored() == before


@pytest.fixture
def moderator(client: FlaskClient, world: dict[str, Any], factory: Factory) -> User:
    editor = factory.user("editor", "eddie")
    login(client, editor)
    return editor


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"action": "approve"}, "Choose at least one comment.", id="no-ids"),
        pytest.param(
            {"ids": "abc", "action": "approve"}, "Choose comments from the list.", id="words"
        ),
        pytest.param(
            {"ids": "known", "action": "publish"}, "Choose approve, spam or delete.", id="action"
        ),
        pytest.param({"ids": "known"}, "Choose approve, spam or delete.", id="no-action"),
        pytest.param(
            {"ids": [str(n) for n in range(1, 102)], "action": "spam"}, "at most 100", id="too-many"
        ),
        pytest.param({"ids": "0", "action": "approve"}, "Choose at least one comment.", id="zero"),
    ],
)
def test_a_bad_moderation_request_changes_nothing(client, world, moderator, data, message):
    data = {**data, "ids": str(world["top"].id) if data.get("ids") == "known" else data.get("ids")}
    data = {k: v for k, v in data.items() if v is not None}
    before = stored()
    response = submit(client, "/moderation", data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert any(message in error for error in [*errors_on(page), page.get_data(as_text=True)])
    assert stored() == before


def test_moderating_comments_gone_meanwhile_is_404(client, world, moderator):
    before = stored()
    assert submit(client, "/moderation", {"ids": "999999", "action": "spam"}).status_code == 404
    assert stored() == before


@pytest.mark.parametrize("query", ["before=garbage", "after=1-", "before=1-2147483648"])
def test_a_bad_queue_cursor_is_400(client, world, moderator, query):
    response = client.get(f"/moderation?{query}")
    assert response.status_code == 400
    assert BAD_CURSOR in response.get_data(as_text=True)


def test_an_unknown_queue_tab_shows_the_pending_one(client, world, moderator):
    page = client.get("/moderation?status=%00bogus").get_data(as_text=True)
    assert 'aria-current="page">Awaiting approval' in page
