"""Comments through the RealWorld API: the comment services, policy and spam rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inkstand.blog.models import Status
from inkstand.comments.models import Comment, CommentStatus
from inkstand.comments.services import BODY_MAX
from inkstand.extensions import db
from inkstand.site import services as site
from tests.api.realworld.calls import errors


@pytest.fixture
def open_site(factory):
    """A site whose comments appear at once, and its admin."""
    admin = factory.user("admin")
    site.update(db.session, admin, comment_policy="open")
    return admin


def _say(api, post, user, body="Thank you so much!"):
    return api.post(f"/articles/{post.slug}/comments", user, json={"comment": {"body": body}})


def test_post_and_list_comments(api, factory, open_site):
    post = factory.post(factory.user("author"))
    reader = factory.user("reader")
    response = _say(api, post, reader)
    assert response.status_code == 200
    comment = response.get_json()["comment"]
    assert comment["body"] == "Thank you so much!"
    assert comment["author"]["username"] == reader.username
    assert comment["createdAt"] == comment["updatedAt"]
    listed = api.get(f"/articles/{post.slug}/comments").get_json()["comments"]
    assert [c["id"] for c in listed] == [comment["id"]]


def test_commenting_needs_a_token(api, factory):
    post = factory.post(factory.user("author"))
    assert _say(api, post, None).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [("", "body"), ("x" * (BODY_MAX + 1), "body"), (None, "body"), (3, "body"),
     ("http://a.example http://b.example http://c.example http://d.example", "body")],
)  # fmt: skip
def test_a_comment_breaking_a_rule_is_422(api, factory, open_site, body, field):
    post = factory.post(factory.user("author"))
    response = api.post(f"/articles/{post.slug}/comments", factory.user("reader"),
                        json={"comment": {"body": body}})  # fmt: skip
    assert response.status_code == 422
    assert field in errors(response)
    assert db.session.scalar(select(Comment)) is None


def test_an_exact_repeat_is_refused(api, factory, open_site):
    post = factory.post(factory.user("author"))
    reader = factory.user("reader")
    assert _say(api, post, reader).status_code == 200
    response = _say(api, post, reader)
    assert response.status_code == 422
    assert "already posted" in errors(response)["body"][0]


def test_the_comment_rate_limit_applies(api, factory, open_site):
    post = factory.post(factory.user("author"))
    reader = factory.user("reader")
    codes = [_say(api, post, reader, f"Comment {i}").status_code for i in range(7)]
    assert codes == [200] * 6 + [429]


def test_the_site_policy_holds_a_newcomers_comment(api, factory):
    factory.user("admin")  # the default policy holds a first comment
    post = factory.post(factory.user("author"))
    reader = factory.user("reader")
    assert _say(api, post, reader).status_code == 200
    assert db.session.scalar(select(Comment.status)) == CommentStatus.PENDING
    assert api.get(f"/articles/{post.slug}/comments").get_json() == {"comments": []}
    mine = api.get(f"/articles/{post.slug}/comments", reader).get_json()["comments"]
    assert len(mine) == 1


def test_closed_comments_are_forbidden(api, factory, open_site):
    post = factory.post(factory.user("author"), comments_closed=True)
    response = _say(api, post, factory.user("reader"))
    assert response.status_code == 403
    assert errors(response)


def test_comments_of_a_missing_or_draft_article_are_404(api, factory, open_site):
    author = factory.user("author")
    draft = factory.post(author, status=Status.DRAFT.value)
    reader = factory.user("reader")
    assert api.get("/articles/nope/comments").status_code == 404
    assert api.get(f"/articles/{draft.slug}/comments", reader).status_code == 404
    assert _say(api, draft, reader).status_code == 404


def test_the_writer_deletes_her_comment_others_may_not(api, factory, open_site):
    author = factory.user("author")
    post = factory.post(author)
    reader, other = factory.user("reader"), factory.user("reader")
    comment_id = _say(api, post, reader).get_json()["comment"]["id"]
    path = f"/articles/{post.slug}/comments/{comment_id}"
    assert api.delete(path).status_code == 401
    assert api.delete(path, other).status_code == 403
    assert api.delete(path, reader).status_code == 204
    assert api.delete(path, reader).status_code == 404


def test_the_post_author_moderates_comments_on_her_post(api, factory, open_site):
    author = factory.user("author")
    post = factory.post(author)
    comment_id = _say(api, post, factory.user("reader")).get_json()["comment"]["id"]
    assert api.delete(f"/articles/{post.slug}/comments/{comment_id}", author).status_code == 204


@pytest.mark.parametrize("comment_id", ["null", "0", "99999999999", "-1"])
def test_a_comment_id_that_is_no_comment_is_json_404(api, factory, comment_id):
    author = factory.user("author")
    post = factory.post(author)
    response = api.delete(f"/articles/{post.slug}/comments/{comment_id}", author)
    assert response.status_code == 404
    assert errors(response)


def test_a_comment_is_deleted_only_under_its_own_article(api, factory, open_site):
    author = factory.user("author")
    first, second = factory.post(author), factory.post(author)
    comment_id = _say(api, first, author).get_json()["comment"]["id"]
    assert api.delete(f"/articles/{second.slug}/comments/{comment_id}", author).status_code == 404
    assert db.session.get(Comment, comment_id) is not None


def test_listing_comments_costs_the_same_queries_whatever_their_number(
    api, factory, open_site, queries
):
    post = factory.post(factory.user("author"))
    reader = factory.user("reader")

    def count():
        queries.clear()
        assert api.get(f"/articles/{post.slug}/comments", reader).status_code == 200
        return len(queries)

    factory.comment(factory.user("reader"), post)
    small = count()
    for _ in range(5):
        factory.comment(factory.user("reader"), post)
    assert count() == small


def test_a_bad_token_on_a_rate_limited_route_is_json_401(api, factory):
    post = factory.post(factory.user("author"))
    response = api.post(f"/articles/{post.slug}/comments", json={"comment": {"body": "Hi"}},
                        headers={"Authorization": "Token forged"})  # fmt: skip
    assert response.status_code == 401
    assert errors(response)


def test_the_post_s_author_is_mailed_of_a_comment_made_through_the_api(
    app, api, factory, open_site
):
    from tests.helpers import Outbox

    outbox = Outbox(app)
    writer = factory.user("author", "writer", email="writer@example.com")
    post = factory.post(writer)
    assert _say(api, post, factory.user("reader", "rita")).status_code == 200
    (mail,) = outbox.messages()
    assert mail["To"] == "writer@example.com"
    assert "Thank you so much!" in mail.get_content()
