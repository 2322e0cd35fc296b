"""Comments through HTTP: who may do what, the policies, threads, editing,
deleting and moderating, and the post page's fixed query count."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.blog.services import trash
from inkstand.comments import services
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import (
    PAGE_BUDGETS,
    Factory,
    SendComment,
    comment_form,
    login,
    separate_app,
    submit,
)

ROLES = ["anonymous", "reader", "commenter", "post-author", "other-author", "editor", "admin"]
LOGIN = "login"  # a 302 to the log-in page


def fresh_comment(comment_id: int) -> Comment | None:
    db.session.expire_all()
    return db.session.get(Comment, comment_id)


def comment_count(slug: str) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(Post.comment_count).where(Post.slug == slug)))


def set_policy(policy: str) -> None:
    admin = db.session.scalar(select(User).where(User.role == "admin").limit(1))
    site.update(db.session, admin, comment_policy=policy)


@dataclass(frozen=True)
class World:
    slug: str
    post_id: int
    approved: int  # an approved comment of the commenter's
    held: int  # and a held one
    role: str


@pytest.fixture
def world(request: pytest.FixtureRequest, client: FlaskClient, factory: Factory) -> World:
    """A post by "writer" with two comments by "carl" (a reader), one approved and one
    held; logged in as the role the test names."""
    people = {
        "admin": factory.user("admin", "boss"),
        "editor": factory.user("editor", "eddie"),
        "post-author": factory.user("author", "writer"),
        "other-author": factory.user("author", "otto"),
        "reader": factory.user("reader", "rita"),
        "commenter": factory.user("reader", "carl"),
    }
    post = factory.post(people["post-author"], "Discussed")
    approved = factory.comment(people["commenter"], post, "Approved words")
    held = factory.comment(people["commenter"], post, "Held words", policy="hold_all")
    role: str = request.param
    if role != "anonymous":
        login(client, people[role])
    return World(post.slug, post.id, approved.id, held.id, role)


def check(response: Any, expected: int | str) -> None:
    location = urlsplit(response.headers.get("Location", ""))
    if expected == LOGIN:
        assert response.status_code == 302
        assert location.path == "/login"
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:2000]
        if expected == 302:
            assert location.path != "/login"


def by_role(expected: tuple[int | str, ...]) -> list[Any]:
    return [
        pytest.param(role, answer, id=role) for role, answer in zip(ROLES, expected, strict=True)
    ]


@pytest.mark.parametrize(
    ("world", "expected"), by_role((LOGIN, 302, 302, 302, 302, 302, 302)), indirect=["world"]
)
def test_who_may_comment(client, world, expected):
    set_policy("open")
    before = db.session.scalar(select(func.count(Comment.id)))
    response = submit(client, f"/posts/{world.post_id}/comments", {"body": "My two cents"})
    check(response, expected)
    after = db.session.scalar(select(func.count(Comment.id)))
    assert after == before + (expected == 302)
    if expected == 302:
        new = db.session.scalar(select(Comment.id).order_by(Comment.id.desc()).limit(1))
        assert response.headers["Location"] == f"/posts/{world.slug}#comment-{new}"


@pytest.mark.parametrize(
    ("world", "sees"), by_role((False, False, True, True, False, True, True)), indirect=["world"]
)
def test_who_sees_a_held_comment(client, world, sees):
    page = client.get(f"/posts/{world.slug}").get_data(as_text=True)
    assert "Approved words" in page
    assert ("Held words" in page) == sees
    assert ("Awaiting approval" in page) == sees


@pytest.mark.parametrize(
    ("world", "expected"),
    by_role((LOGIN, 403, 403, 200, 200, 200, 200)),
    indirect=["world"],
)
def test_who_opens_the_moderation_queue(client, world, expected):
    response = client.get("/moderation")
    check(response, expected)
    if expected == 200:  # an author sees only the comments on her own posts
        listed = "Held words" in response.get_data(as_text=True)
        assert listed == (world.role != "other-author")


@pytest.mark.parametrize("action", ["approve", "spam", "delete"])
@pytest.mark.parametrize(
    ("world", "expected"), by_role((LOGIN, 403, 403, 302, 403, 302, 302)), indirect=["world"]
)
def test_who_moderates_a_held_comment(client, world, expected, action):
    response = submit(client, "/moderation", {"ids": str(world.held), "action": action})
    check(response, expected)
    comment = fresh_comment(world.held)
    if expected != 302:
        assert comment is not None
        assert comment.status == "pending"
        return
    assert response.headers["Location"] == "/moderation?status=pending"
    if action == "delete":
        assert comment is None
    else:
        assert comment is not None
        assert comment.status == {"approve": "approved", "spam": "spam"}[action]
    assert comment_count(world.slug) == 1 + (action == "approve")


@pytest.mark.parametrize(
    ("world", "expected"), by_role((LOGIN, 403, 302, 302, 403, 302, 302)), indirect=["world"]
)
def test_who_deletes_a_comment(client, world, expected):
    response = submit(client, f"/comments/{world.approved}/delete")
    check(response, expected)
    assert (fresh_comment(world.approved) is None) == (expected == 302)
    assert comment_count(world.slug) == (0 if expected == 302 else 1)
    if expected == 302:
        assert response.headers["Location"] == f"/posts/{world.slug}#comments"


@pytest.mark.parametrize(
    ("world", "expected"), by_role((LOGIN, 403, 200, 403, 403, 403, 403)), indirect=["world"]
)
def test_only_the_writer_edits_a_comment(client, world, expected):
    url = f"/comments/{world.approved}/edit"
    check(client.get(url), expected)
    response = submit(client, url, {"body": "Changed words"})
    check(response, 302 if expected == 200 else expected)
    comment = fresh_comment(world.approved)
    assert comment is not None
    assert (comment.body_source == "Changed words") == (expected == 200)


@pytest.mark.parametrize(
    ("world", "expected"), by_role((LOGIN, 200, 200, 200, 200, 200, 200)), indirect=["world"]
)
def test_who_opens_the_reply_page(client, world, expected):
    check(client.get(f"/comments/{world.approved}/reply"), expected)
    # A held comment takes no replies; those who may not see it are told it is not there.
    held = client.get(f"/comments/{world.held}/reply")
    assert held.status_code in ({302} if expected == LOGIN else {403, 404})


# The flows a person goes through, as pages.


@pytest.fixture
def writer(factory: Factory) -> User:
    factory.user("admin", "boss")
    return factory.user("author", "writer")


@pytest.fixture
def reader(factory: Factory, client: FlaskClient) -> User:
    user = factory.user("reader", "rita")
    login(client, user)
    return user


def test_posting_a_comment_shows_it_where_it_went(
    client, factory, writer, reader, send_comment: SendComment
):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    response = send_comment(f"/posts/{post.slug}", "Hello *world*")
    comment_id = db.session.scalar(select(Comment.id))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/posts/{post.slug}#comment-{comment_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment is posted." in page
    assert f'<li id="comment-{comment_id}">' in page
    assert "<em>world</em>" in page
    assert '<h2 id="comments-heading">1 comment</h2>' in page
    assert '<a href="#comments">1 comment</a>' in page


def test_a_comment_posted_in_the_background_comes_back_ready_to_show(
    client, factory, writer, reader
):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    action, fields = comment_form(client.get(f"/posts/{post.slug}").get_data(as_text=True))
    response = client.post(
        action,
        data={**fields, "body": "Hello *world*", "website": ""},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    comment_id = db.session.scalar(select(Comment.id))
    answer = response.get_json()
    assert answer["id"] == comment_id
    assert answer["status"] == "approved"
    assert answer["message"] == "Your comment is posted."
    assert f'href="#comment-{comment_id}"' in answer["html"]
    assert "<em>world</em>" in answer["html"]
    assert "rita" in answer["html"]  # its writer, loaded with it


def test_a_held_comment_is_announced_and_marked(
    client, factory, writer, reader, send_comment: SendComment
):
    post = factory.post(writer, "Discussed")  # the default policy holds first comments
    response = send_comment(f"/posts/{post.slug}", "Is this on?")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment awaits approval." in page
    assert "Awaiting approval" in page
    assert "Is this on?" in page
    # Her own comment counts for her, and says it waits; not "0 comments" above it.
    assert (
        '<h2 id="comments-heading">1 comment <span class="held-count">(1 awaiting approval)'
        "</span></h2>"
    ) in page
    client.post("/logout", data={"csrf_token": re.search(r'csrf-token" content="([^"]+)', page)[1]})
    assert "Is this on?" not in client.get(f"/posts/{post.slug}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("policy", "first", "second"),
    [
        ("open", "approved", "approved"),
        ("hold_first", "pending", "approved"),  # once the first is approved
        ("hold_all", "pending", "pending"),
    ],
)
def test_the_policy_the_admin_chooses_applies(
    client, factory, writer, send_comment: SendComment, policy, first, second
):
    admin = db.session.scalar(select(User).where(User.username == "boss"))
    login(client, admin)
    form = {"title": "Blog", "posts_per_page": "10", "new_account_role": "author"}
    response = submit(client, "/admin/settings", {**form, "comment_policy": policy})
    assert response.status_code == 302
    assert f'selected value="{policy}"' in client.get("/admin/settings").get_data(as_text=True)
    post = factory.post(writer, "Discussed")
    login(client, factory.user("reader", "rita"))
    send_comment(f"/posts/{post.slug}", "First")
    comment = db.session.scalar(select(Comment).where(Comment.body_source == "First"))
    assert comment.status == first
    if first == "pending":
        services.moderate(db.session, admin, [comment.id], "approve")
    send_comment(f"/posts/{post.slug}", "Second")
    assert db.session.scalar(select(Comment.status).where(Comment.body_source == "Second")) == (
        second
    )


def test_a_closed_site_takes_no_comments(client, factory, writer, reader):
    set_policy("closed")
    post = factory.post(writer, "Discussed")
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Comments are closed." in page
    assert "comment-form" not in page
    response = submit(client, f"/posts/{post.id}/comments", {"body": "Anyone?"})
    assert response.status_code == 403
    assert "Comments are closed on this post." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_the_author_closes_comments_on_one_post(client, factory, writer, send_comment: SendComment):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    other = factory.post(writer, "Still open")
    login(client, writer)
    edit = f"/posts/{post.id}/edit"
    assert 'name="comments_closed"' in client.get(edit).get_data(as_text=True)
    data = {"title": "Discussed", "body": "Body", "status": "published", "comments_closed": "y"}
    assert submit(client, edit, data, page=edit).status_code == 302
    assert re.search(
        r'<input checked id="comments_closed"', client.get(edit).get_data(as_text=True)
    )
    login(client, factory.user("reader", "rita"))
    assert "Comments are closed." in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert submit(client, f"/posts/{post.id}/comments", {"body": "Hi"}).status_code == 403
    assert send_comment(f"/posts/{other.slug}", "Hi").status_code == 302


def test_a_visitor_is_asked_to_log_in(client, factory, writer):
    post = factory.post(writer, "Discussed")
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'href="/login?next=/posts/{post.slug}">Log in</a> to comment.' in page
    assert "comment-form" not in page


def test_replying_through_the_reply_page(
    client, factory, writer, reader, send_comment: SendComment
):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    top = factory.comment(writer, post, "Top **comment**")
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'href="/comments/{top.id}/reply">Reply</a>' in page
    reply_page = client.get(f"/comments/{top.id}/reply").get_data(as_text=True)
    assert "Reply to writer" in reply_page
    assert "<strong>comment</strong>" in reply_page
    response = send_comment(f"/comments/{top.id}/reply", "A reply")
    assert response.status_code == 302
    reply = db.session.scalar(select(Comment).where(Comment.body_source == "A reply"))
    assert (reply.parent_id, reply.depth) == (top.id, 1)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    nested = re.search(
        rf'<li id="comment-{top.id}">.*?<ol class="replies">\s*<li id="comment-{reply.id}">',
        page,
        re.S,
    )
    assert nested


def test_a_reply_to_the_deepest_comment_joins_its_parent(
    client, factory, writer, reader, send_comment: SendComment
):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    top = factory.comment(writer, post, "Depth 0")
    one = factory.comment(writer, post, "Depth 1", parent=top)
    two = factory.comment(writer, post, "Depth 2", parent=one)
    assert send_comment(f"/comments/{two.id}/reply", "Deeper").status_code == 302
    deeper = db.session.scalar(select(Comment).where(Comment.body_source == "Deeper"))
    assert (deeper.parent_id, deeper.depth) == (one.id, 2)


def test_editing_within_the_window_and_not_after(client, factory, writer, reader):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    comment = factory.comment(reader, post, "Frist")
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'href="/comments/{comment.id}/edit">Edit</a>' in page
    edit = f"/comments/{comment.id}/edit"
    assert "\nFrist</textarea>" in client.get(edit).get_data(as_text=True)
    response = submit(client, edit, {"body": "First"}, page=edit)
    assert response.headers["Location"] == f"/posts/{post.slug}#comment-{comment.id}"
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "<p>First</p>" in page
    assert "· edited" in page
    # Sixteen minutes later.
    db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id)
        .values(created_at=comment.created_at - timedelta(minutes=16))
    )
    db.session.commit()
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f"/comments/{comment.id}/edit" not in page
    response = client.get(edit)
    assert response.status_code == 403
    assert "15 minutes" in response.get_data(as_text=True)
    assert submit(client, edit, {"body": "Too late"}).status_code == 403
    assert fresh_comment(comment.id).body_source == "First"


def test_a_deleted_comment_with_replies_shows_deleted(client, factory, writer, reader):
    set_policy("open")
    post = factory.post(writer, "Discussed")
    top = factory.comment(reader, post, "Regrettable words")
    reply = factory.comment(writer, post, "A reply that stays", parent=top)
    page = f"/posts/{post.slug}"
    response = submit(client, f"/comments/{top.id}/delete", page=page)
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Regrettable words" not in html
    assert '<p class="comment-gone">[deleted]</p>' in html
    assert "A reply that stays" in html
    assert '<h2 id="comments-heading">1 comment</h2>' in html
    login(client, writer)
    submit(client, f"/comments/{reply.id}/delete", page=page)
    html = client.get(page).get_data(as_text=True)
    assert "[deleted]" not in html
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_moderating_in_bulk_and_one_by_one(client, factory, writer):
    post = factory.post(writer, "Discussed")
    commenter = factory.user("reader", "rita")
    held = [factory.comment(commenter, post, f"Held {n}", policy="hold_all") for n in range(3)]
    login(client, factory.user("editor", "eddie"))
    page = client.get("/moderation").get_data(as_text=True)
    for comment in held:
        assert f'name="ids" value="{comment.id}" form="bulk" id="pick-{comment.id}"' in page
    assert '<form method="post" action="/moderation" id="bulk"' in page
    chosen = [str(held[0].id), str(held[1].id)]
    response = submit(
        client, "/moderation", {"ids": chosen, "action": "approve"}, page="/moderation"
    )
    assert response.headers["Location"] == "/moderation?status=pending"
    page = client.get("/moderation").get_data(as_text=True)
    assert "2 comments approved." in page
    assert "Held 0" not in page
    assert "Held 2" in page
    assert comment_count(post.slug) == 2
    # One row's own buttons.
    data = {"ids": str(held[2].id), "action": "spam", "status": "pending"}
    submit(client, "/moderation", data, page="/moderation")
    spam = client.get("/moderation?status=spam").get_data(as_text=True)
    assert "Held 2" in spam
    assert "No comment awaits approval." in client.get("/moderation").get_data(as_text=True)
    data = {"ids": str(held[2].id), "action": "delete", "status": "spam"}
    response = submit(client, "/moderation", data, page="/moderation?status=spam")
    assert response.headers["Location"] == "/moderation?status=spam"
    assert "1 comment deleted." in client.get("/moderation?status=spam").get_data(as_text=True)
    assert fresh_comment(held[2].id) is None


def test_the_queue_pages_by_keyset(client, factory, writer):
    post = factory.post(writer, "Discussed")
    commenter = factory.user("reader", "rita")
    for n in range(55):
        factory.comment(commenter, post, f"Held {n}", policy="hold_all")
    login(client, writer)
    first = client.get("/moderation").get_data(as_text=True)
    assert first.count('form="bulk"') == 50
    older = re.search(r'href="(/moderation\?before=[^"&]+&amp;status=pending)"', first)
    second = client.get(older[1].replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('form="bulk"') == 5
    assert "Held 0" in second


@pytest.mark.parametrize("viewer", ["anonymous", "editor"])
def test_the_post_page_query_count_does_not_grow_with_comments(
    client, factory, writer, queries, viewer
):
    post = factory.post(writer, "Discussed")
    if viewer == "editor":
        login(client, factory.user("editor", "eddie"))
    budget = PAGE_BUDGETS["post"] + (viewer != "anonymous")

    def count() -> int:
        queries.clear()
        assert client.get(f"/posts/{post.slug}").status_code == 200
        return len(queries)

    assert count() == budget
    people = [factory.user("reader") for _ in range(5)]
    for n in range(8):
        top = factory.comment(people[n % 5], post, f"Top {n}")
        reply = factory.comment(people[(n + 1) % 5], post, f"Reply {n}", parent=top)
        factory.comment(people[(n + 2) % 5], post, f"Deeper {n}", parent=reply)
        factory.comment(people[(n + 3) % 5], post, f"Held {n}", policy="hold_all")
    assert count() == budget
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Deeper 7" in page
    assert ("Held 7" in page) == (viewer == "editor")


def test_lists_show_comment_counts_without_a_query_per_post(client, factory, writer, queries):
    one = factory.post(writer, "One comment")
    two = factory.post(writer, "Two comments")
    factory.post(writer, "No comments")
    commenter = factory.user("reader", "rita")
    factory.comment(commenter, one, "A")
    factory.comment(commenter, two, "B")
    factory.comment(commenter, two, "C")
    factory.comment(commenter, two, "Held", policy="hold_all")
    queries.clear()
    page = client.get("/").get_data(as_text=True)
    assert len(queries) == PAGE_BUDGETS["home"]
    assert f'<a href="/posts/{one.slug}#comments">1 comment</a>' in page
    assert f'<a href="/posts/{two.slug}#comments">2 comments</a>' in page
    assert page.count("#comments") == 2
    for url in ["/authors/writer"]:
        assert f'<a href="/posts/{two.slug}#comments">2 comments</a>' in (
            client.get(url).get_data(as_text=True)
        )


def test_a_deleted_post_keeps_its_comments_until_purged(client, factory, writer):
    post = factory.post(writer, "Discussed")
    top = factory.comment(writer, post, "Top")
    factory.comment(writer, post, "Reply", parent=top)
    login(client, writer)
    assert submit(client, f"/posts/{post.id}/delete").status_code == 302
    assert client.get(f"/posts/{post.id}/comments").status_code in {404, 405}
    assert db.session.scalar(select(func.count(Comment.id))) == 2  # in the trash with it
    trash.purge(db.session, utcnow(), 0)
    assert db.session.scalar(select(func.count(Comment.id))) == 0


def test_a_cached_post_page_shows_a_newly_approved_comment(database_url, tmp_path):
    """Comments are public content: approving one retires the visitor's cached page."""
    with separate_app(tmp_path, database_url, PAGE_CACHE_SECONDS=300, SERVER_NAME=None) as app:
        factory = Factory(app)
        admin = factory.user("admin", "boss")
        post = factory.post(admin, "Cached")
        held = factory.comment(factory.user("reader"), post, "Soon shown", policy="hold_all")
        visitor = app.test_client()
        assert "Soon shown" not in visitor.get(f"/posts/{post.slug}").get_data(as_text=True)
        assert "Soon shown" not in visitor.get(f"/posts/{post.slug}").get_data(as_text=True)
        services.moderate(db.session, admin, [held.id], "approve")
        page = visitor.get(f"/posts/{post.slug}").get_data(as_text=True)
        assert "Soon shown" in page
        assert "1 comment" in visitor.get("/").get_data(as_text=True)


def test_the_count_is_of_what_the_reader_sees(client, factory):
    author = factory.user()
    post = factory.post(author, "Held")
    reader = factory.user("reader")
    factory.comment(factory.user("reader"), post, "Approved one")
    factory.comment(reader, post, "Mine, waiting", policy="hold_all")

    def heading() -> str:
        page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
        found = re.search(r'<h2 id="comments-heading">(.*?)</h2>', page, re.S)
        assert found
        return " ".join(re.sub(r"<[^>]+>", "", found[1]).split())

    assert heading() == "1 comment"  # a visitor sees the approved one only
    login(client, reader)
    assert heading() == "2 comments (1 awaiting approval)"  # not "1 comment" above two
