"""A post's comments through the native API, under the same rules as the post page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.comments.models import Comment
from inkstand.comments.services import BODY_MAX
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import assert_problem


def _comments() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Comment.id))) or 0


@pytest.fixture
def open_site(factory):
    site.update(db.session, factory.user("admin"), comment_policy="open")


def test_anyone_reads_the_approved_thread_in_reading_order(call, factory):
    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    first = factory.comment(reader, post, "First")
    reply = factory.comment(author, post, "A reply", parent=first)
    second = factory.comment(reader, post, "Second")
    factory.comment(reader, post, "Held", policy="hold_all")
    response = call("GET", f"/api/v1/posts/{post.id}/comments")
    assert response.status_code == 200
    rows = response.get_json()["comments"]
    assert [(r["id"], r["parent_id"], r["depth"]) for r in rows] == [
        (first.id, None, 0), (reply.id, first.id, 1), (second.id, None, 0),
    ]  # fmt: skip
    assert rows[0]["author"]["username"] == reader.username
    assert rows[0]["shown"]
    assert "<p>First</p>" in rows[0]["body_html"]


def test_held_comments_are_seen_by_their_writer_and_the_posts_moderators(call, factory, token_for):
    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    factory.comment(reader, post, "Held", policy="hold_all")
    url = f"/api/v1/posts/{post.id}/comments"
    for token, count in [
        (None, 0), (token_for("reader", "read"), 0), (token_for(reader, "read"), 1),
        (token_for(author, "read"), 1), (token_for("editor", "read"), 1),
    ]:  # fmt: skip
        assert len(call("GET", url, token).get_json()["comments"]) == count


def test_a_deleted_comment_with_replies_is_a_placeholder(call, factory):
    from inkstand.comments import services
    from inkstand.db import utcnow

    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    parent = factory.comment(reader, post, "Soon gone")
    factory.comment(author, post, "Still here", parent=parent)
    services.delete_comment(db.session, reader, parent.id, utcnow())
    rows = call("GET", f"/api/v1/posts/{post.id}/comments").get_json()["comments"]
    assert rows[0]["shown"] is False
    assert rows[0]["author"] is None
    assert rows[0]["body"] is None
    assert rows[1]["body"] == "Still here"


def test_a_thread_costs_the_same_however_long(call, factory, queries):
    author = factory.user()
    post = factory.post(author)
    readers = [factory.user("reader") for _ in range(3)]
    factory.comment(readers[0], post)
    queries.clear()
    call("GET", f"/api/v1/posts/{post.id}/comments")
    few = len(queries)
    for n in range(12):
        factory.comment(readers[n % 3], post)
    queries.clear()
    assert len(call("GET", f"/api/v1/posts/{post.id}/comments").get_json()["comments"]) == 13
    assert len(queries) == few


def test_comments_of_a_missing_post_are_not_found(call):
    url = "/api/v1/posts/999999/comments"
    assert_problem(call("GET", url), 404, "not-found")
    assert_problem(call("POST", url, json={"body": "x"}), 401, "unauthorized")


@pytest.mark.parametrize("post_id", ["0", "2147483648", "-1", "01", "\u0661"])
def test_comments_of_an_id_no_post_can_have_match_no_route(call, post_id):
    """Whatever the method and the token: no route, so no Allow header to mislead."""
    for method in ("GET", "POST", "PUT"):
        response = call(method, f"/api/v1/posts/{post_id}/comments", json={"body": "x"})
        assert_problem(response, 404, "not-found")
        assert "Allow" not in response.headers


def test_comments_of_a_draft_are_hidden_from_readers(call, factory, token_for):
    draft = factory.post(factory.user(), status="draft")
    url = f"/api/v1/posts/{draft.id}/comments"
    assert_problem(call("GET", url, token_for("reader")), 404, "not-found")
    assert_problem(call("POST", url, token_for("reader"), json={"body": "x"}), 404, "not-found")


@pytest.mark.parametrize("role", ["reader", "author", "editor", "admin"])
def test_every_role_comments_with_a_read_write_token(call, factory, token_for, open_site, role):
    post = factory.post(factory.user())
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for(role),
                    json={"body": "Nice *post*"})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved"
    assert "<em>post</em>" in body["body_html"]
    assert _comments() == 1


def test_a_newcomers_comment_is_held_under_the_default_policy(call, factory, token_for):
    post = factory.post(factory.user())
    response = call(
        "POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"), json={"body": "Hi"}
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"


def test_a_reply_is_placed_under_its_parent(call, factory, token_for, open_site):
    post = factory.post(factory.user())
    parent = factory.comment(factory.user("reader"), post)
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"),
                    json={"body": "Agreed", "parent_id": parent.id})  # fmt: skip
    assert response.status_code == 201
    assert (response.get_json()["parent_id"], response.get_json()["depth"]) == (parent.id, 1)


def test_commenting_needs_a_read_write_token(call, factory, token_for, open_site):
    post = factory.post(factory.user())
    url = f"/api/v1/posts/{post.id}/comments"
    assert_problem(call("POST", url, json={"body": "x"}), 401, "unauthorized")
    assert_problem(call("POST", url, token_for("reader", "read"), json={"body": "x"}), 403,
                   "read-only-token")  # fmt: skip
    bad = {"Authorization": "Bearer ink_forged"}
    assert_problem(call("POST", url, headers=bad, json={"body": "x"}), 401, "unauthorized")
    assert _comments() == 0


def test_closed_comments_are_refused(call, factory, token_for):
    author = factory.user()
    post = factory.post(author, comments_closed=True)
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"),
                    json={"body": "x"})  # fmt: skip
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": 7}, "body"),
        ({"body": "x" * (BODY_MAX + 1)}, "body"),
        ({"body": "http://a.example http://b.example http://c.example http://d.example"}, "body"),
        ({"body": "x", "parent_id": "1"}, "parent_id"),
        ({"body": "x", "parent_id": 0}, "parent_id"),
        ({"body": "x", "parent_id": 2**31}, "parent_id"),
        ({"body": "x", "parent_id": 999_999}, "parent_id"),
        ({"body": "x", "website": "spam"}, "website"),
    ],
)
def test_an_invalid_comment_names_its_field(call, factory, token_for, open_site, body, field):
    post = factory.post(factory.user())
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"), json=body)
    problem = assert_problem(response, 422, "invalid")
    assert field in problem["errors"]
    assert _comments() == 0


def test_the_same_comment_twice_is_refused(call, factory, token_for, open_site):
    post = factory.post(factory.user())
    token, url = token_for("reader"), f"/api/v1/posts/{post.id}/comments"
    assert call("POST", url, token, json={"body": "Once"}).status_code == 201
    assert_problem(call("POST", url, token, json={"body": "Once"}), 422, "invalid")


def test_a_revoked_token_may_not_comment(call, factory, open_site):
    from inkstand.accounts import tokens
    from inkstand.db import utcnow

    reader = factory.user("reader")
    post = factory.post(factory.user())
    token, plaintext = tokens.create(db.session, reader, "old", "read-write", utcnow())
    tokens.revoke(db.session, reader, token.id, utcnow())
    response = call("POST", f"/api/v1/posts/{post.id}/comments", plaintext, json={"body": "x"})
    assert_problem(response, 401, "unauthorized")
    assert _comments() == 0


def test_the_post_s_author_is_mailed_of_a_comment_made_through_the_api(
    app, call, factory, token_for, open_site
):
    from tests.helpers import Outbox

    outbox = Outbox(app)
    post = factory.post(factory.user("author", "writer", email="writer@example.com"))
    response = call("POST", f"/api/v1/posts/{post.id}/comments", token_for("reader"),
                    json={"body": "Mail me this"})  # fmt: skip
    assert response.status_code == 201
    (mail,) = outbox.messages()
    assert mail["To"] == "writer@example.com"
    assert "Mail me this" in mail.get_content()


# Pages


def _read_all(call, url, token=None, queries=None):
    """Every page of ``url``, following the Link headers: the ids in order, the number
    of pages, and the queries each page cost."""
    ids, costs, pages = [], [], 0
    while url:
        if queries is not None:
            queries.clear()
        response = call("GET", url, token)
        assert response.status_code == 200, response.get_data(as_text=True)
        if queries is not None:
            costs.append(len(queries))
        body = response.get_json()
        ids += [row["id"] for row in body["comments"]]
        pages += 1
        link = response.headers.get("Link")
        if link is None:
            assert body["next_cursor"] is None
            url = None
        else:
            assert link.startswith("<http://")
            assert link.endswith('>; rel="next"')
            assert f"cursor={body['next_cursor']}" in link
            url = link[1 : link.index(">")]
    return ids, pages, costs


def test_a_long_thread_is_read_page_by_page_each_seen_once_by_each_role(
    call, factory, token_for, queries
):
    author, writer, other = factory.user(), factory.user("reader"), factory.user("reader")
    post = factory.post(author)
    public, held, tops = [], [], []
    for n in range(45):
        if n % 7 == 3:
            held.append(factory.comment(writer, post, policy="hold_all").id)
        elif n % 4 == 1 and tops:
            public.append(factory.comment(other, post, parent=tops[-1]).id)
        else:
            tops.append(factory.comment(writer if n % 2 else other, post))
            public.append(tops[-1].id)
    everything = sorted(public + held)  # made one after another: ids in time order
    url = f"/api/v1/posts/{post.id}/comments?limit=20"
    for token, expected in [
        (None, public), (token_for(other, "read"), public), (token_for("reader", "read"), public),
        (token_for(writer, "read"), everything), (token_for(author, "read"), everything),
        (token_for("editor", "read"), everything), (token_for("admin", "read"), everything),
    ]:  # fmt: skip
        call("GET", url, token)  # a token's first use notes when it was used: not a page's cost
        ids, pages, costs = _read_all(call, url, token, queries)
        assert ids == sorted(expected)
        assert pages == -(-len(expected) // 20)
        assert costs == [costs[0]] * pages, (
            costs
        )  # the post, the settings, the page (and the token)


def test_a_reply_names_its_parent_on_an_earlier_page(call, factory):
    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    parent = factory.comment(reader, post, "The parent")
    factory.comment(reader, post, "Between")
    reply = factory.comment(author, post, "The reply", parent=parent)
    first = call("GET", f"/api/v1/posts/{post.id}/comments?limit=2")
    assert first.get_json()["comments"][0]["id"] == parent.id
    cursor = first.get_json()["next_cursor"]
    second = call("GET", f"/api/v1/posts/{post.id}/comments?limit=2&cursor={cursor}").get_json()
    assert [(r["id"], r["parent_id"], r["depth"]) for r in second["comments"]] == [
        (reply.id, parent.id, 1)
    ]
    assert second["next_cursor"] is None


def test_placeholders_stay_only_while_a_reply_under_them_is_seen(call, factory, token_for):
    from inkstand.comments import services
    from inkstand.db import utcnow

    author, reader = factory.user(), factory.user("reader")
    post = factory.post(author)
    alone = factory.comment(reader, post, "Gone, no replies")
    top = factory.comment(reader, post, "Gone, a reply two levels down")
    middle = factory.comment(reader, post, "Gone too", parent=top)
    deep = factory.comment(author, post, "Still here", parent=middle)
    held_under = factory.comment(reader, post, "Gone, only a held reply")
    held = factory.comment(reader, post, "Held", parent=held_under, policy="hold_all")
    for gone in (alone, top, middle, held_under):
        services.delete_comment(db.session, reader, gone.id, utcnow())
    url = f"/api/v1/posts/{post.id}/comments?limit=1"
    ids, _, _ = _read_all(call, url)
    assert ids == [top.id, middle.id, deep.id]
    rows = call("GET", f"/api/v1/posts/{post.id}/comments").get_json()["comments"]
    assert [r["shown"] for r in rows] == [False, False, True]
    ids, _, _ = _read_all(call, url, token_for(author, "read"))
    assert ids == [top.id, middle.id, deep.id, held_under.id, held.id]


def test_a_page_costs_the_same_however_long_the_thread(call, factory, queries):
    author = factory.user()
    readers = [factory.user("reader") for _ in range(3)]
    few, many = factory.post(author), factory.post(author)
    for n in range(3):
        factory.comment(readers[n], few)
    for n in range(40):
        factory.comment(readers[n % 3], many, parent=None)
    queries.clear()
    assert len(call("GET", f"/api/v1/posts/{few.id}/comments").get_json()["comments"]) == 3
    cost = len(queries)
    queries.clear()
    assert (
        len(call("GET", f"/api/v1/posts/{many.id}/comments?limit=100").get_json()["comments"]) == 40
    )
    assert len(queries) == cost


@pytest.mark.parametrize("cursor", ["zz", "1-2-3", "99999999999999999999-1", "1-99999999999"])
def test_a_bad_comment_cursor_is_a_problem_naming_it(call, factory, cursor):
    post = factory.post(factory.user())
    url = f"/api/v1/posts/{post.id}/comments?cursor={cursor}"
    assert "cursor" in assert_problem(call("GET", url), 400, "invalid-cursor")["errors"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"),
     ("cursor=" + "1" * 41, "cursor"), ("cursor=1-%00", "cursor")],
)  # fmt: skip
def test_bad_page_arguments_are_named(call, factory, query, field):
    post = factory.post(factory.user())
    body = assert_problem(call("GET", f"/api/v1/posts/{post.id}/comments?{query}"), 422, "invalid")
    assert field in body["errors"]
