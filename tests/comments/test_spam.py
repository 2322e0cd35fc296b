"""Spam defences, each tripped and each passed: the honeypot, the minimum time
between showing the form and posting, the link cap, exact repeats, and rate
limits per account and per address. A refusal is a clear message, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from inkstand import markup
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments import services
from inkstand.comments.models import Comment
from inkstand.comments.views import form_stamps
from inkstand.db import utcnow
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import (
    Factory,
    SendComment,
    app_with_limits,
    comment_form,
    errors_on,
    login,
    submit,
)

TOO_QUICK = "That was quicker than anyone reads"
OUT_OF_DATE = "This comment form is out of date."


def stored() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count(Comment.id))))


@pytest.fixture
def post(factory: Factory) -> Post:
    admin = factory.user("admin", "boss")
    site.update(db.session, admin, comment_policy="open")
    return factory.post(factory.user("author", "writer"), "Discussed")


@pytest.fixture
def reader(factory: Factory, client) -> User:
    user = factory.user("reader", "rita")
    login(client, user)
    return user


def refused(response, message: str) -> None:
    assert response.status_code == 422, response.status_code
    shown = errors_on(response)
    assert any(message in error for error in shown), f"{message!r} not in {shown}"


# The honeypot.


@pytest.mark.parametrize("filled", ["http://cheap-pills.example", "x"])
def test_a_filled_honeypot_is_refused(post, reader, send_comment: SendComment, filled):
    response = send_comment(f"/posts/{post.slug}", "Great post!", website=filled)
    refused(response, "leave the field marked “leave empty” empty")
    assert stored() == 0


def test_an_empty_honeypot_passes(post, reader, send_comment: SendComment):
    assert send_comment(f"/posts/{post.slug}", "Great post!", website="").status_code == 302
    assert stored() == 1


def test_the_honeypot_is_out_of_sight(client, post, reader):
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert '<div class="hp" aria-hidden="true">' in page
    assert 'name="website" tabindex="-1"' in page
    css = (Path(markup.__file__).parent / "static/css/site.css").read_text()
    assert ".hp { position: absolute; left: -9999px;" in css


# The minimum time between showing the form and posting it.


@pytest.fixture
def slow(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "COMMENT_MIN_SECONDS", 3)
    return 3


def _stamp(post: Post, user: User, seconds_ago: float) -> str:
    return form_stamps().issue(post.id, user.id, utcnow() - timedelta(seconds=seconds_ago))


def test_posting_at_once_is_refused(client, post, reader, slow, send_comment: SendComment):
    response = send_comment(f"/posts/{post.slug}", "Great post!")
    refused(response, TOO_QUICK)
    assert stored() == 0
    # The refused form keeps the text and its stamp: sent again a little later, it goes.
    _, fields = comment_form(response.get_data(as_text=True))
    assert "Great post!</textarea>" in response.get_data(as_text=True)
    shown_at = form_stamps().shown_at(fields["stamp"], post.id, reader.id)
    assert shown_at is not None
    assert utcnow() - shown_at < timedelta(seconds=slow)


@pytest.mark.parametrize("who", ["the post's author", "editor", "admin"])
def test_the_posts_own_people_are_not_timed(client, factory, post, slow, who, send_comment):
    """Staff and the post's author are no strangers: replying at once is no spam sign."""
    user = {
        "the post's author": db.session.get(User, post.author_id),
        "editor": factory.user("editor"),
        "admin": db.session.scalar(select(User).where(User.username == "boss")),
    }[who]
    login(client, user)
    response = send_comment(f"/posts/{post.slug}", "Thanks for reading!")
    assert response.status_code == 302, errors_on(response)
    assert stored() == 1


def test_another_author_is_still_timed(client, factory, post, slow, send_comment):
    login(client, factory.user("author"))  # an author, but not this post's
    refused(send_comment(f"/posts/{post.slug}", "Me too!"), TOO_QUICK)


def test_posting_after_the_minimum_time_passes(post, reader, slow, send_comment: SendComment):
    stamp = _stamp(post, reader, seconds_ago=slow)
    response = send_comment(f"/posts/{post.slug}", "Great post!", stamp=stamp)
    assert response.status_code == 302
    assert stored() == 1


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(lambda post, user, other: "", id="missing"),
        pytest.param(lambda post, user, other: "garbage", id="garbage"),
        pytest.param(lambda post, user, other: _stamp(other, user, 60), id="for-another-post"),
        pytest.param(
            lambda post, user, other: form_stamps().issue(
                post.id, user.id + 1, utcnow() - timedelta(minutes=1)
            ),
            id="for-another-account",
        ),
        pytest.param(
            lambda post, user, other: URLSafeSerializer(
                "another-key", salt="inkstand.comment-form"
            ).dumps([post.id, user.id, 0]),
            id="forged-old",
        ),
        pytest.param(
            lambda post, user, other: URLSafeSerializer(
                "test-secret-key", salt="inkstand.comment-form"
            ).dumps([post.id, user.id, "yesterday"]),
            id="not-a-time",
        ),
        pytest.param(
            lambda post, user, other: URLSafeSerializer(
                "test-secret-key", salt="inkstand.comment-form"
            ).dumps([post.id, user.id, 10**20]),
            id="time-out-of-range",
        ),
    ],
)
def test_a_bad_stamp_is_refused(factory, post, reader, slow, send_comment: SendComment, stamp):
    other = factory.post(factory.user("author"), "Another post")
    response = send_comment(f"/posts/{post.slug}", "Great post!", stamp=stamp(post, reader, other))
    refused(response, OUT_OF_DATE)
    assert stored() == 0
    # The page hands out a good stamp to send the text again with.
    _, fields = comment_form(response.get_data(as_text=True))
    assert form_stamps().shown_at(fields["stamp"], post.id, reader.id) is not None


def test_without_a_minimum_no_stamp_is_needed(post, reader, send_comment: SendComment):
    assert send_comment(f"/posts/{post.slug}", "Great post!", stamp="").status_code == 302


# The link cap.

LINKS = {
    "markdown": "[one](https://a.example) [two](https://b.example) [three](https://c.example)",
    "autolinks": "<https://a.example> <https://b.example> <https://c.example>",
    "bare": "https://a.example http://b.example www.c.example",
    "reference": "[a][1] [b][2] [c][3]\n\n[1]: https://a.example\n[2]: https://b.example\n"
    "[3]: https://c.example",
}


@pytest.mark.parametrize("kind", sorted(LINKS))
def test_three_links_pass_and_a_fourth_is_refused(
    factory, post, reader, send_comment: SendComment, kind
):
    three = LINKS[kind]
    assert send_comment(f"/posts/{post.slug}", three).status_code == 302
    response = send_comment(f"/posts/{post.slug}", f"{three} and https://d.example")
    refused(response, "Use at most 3 links in a comment.")
    assert stored() == 1


def test_the_link_cap_is_a_setting(app, post, reader, send_comment: SendComment, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_MAX_LINKS", 0)
    response = send_comment(f"/posts/{post.slug}", "See https://a.example")
    refused(response, "Use at most 0 links in a comment.")
    assert send_comment(f"/posts/{post.slug}", "No links at all").status_code == 302


def test_an_edit_keeps_to_the_link_cap(client, post, reader):
    comment = Factory(None).comment(reader, post, "Fine")  # type: ignore[arg-type]
    edit = f"/comments/{comment.id}/edit"
    many = " ".join(f"https://{n}.example" for n in range(4))
    refused(submit(client, edit, {"body": many}, page=edit), "Use at most 3 links")
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_source == "Fine"


# Exact repeats.


def test_an_exact_repeat_is_refused(factory, post, reader, send_comment: SendComment):
    assert send_comment(f"/posts/{post.slug}", "Me too!").status_code == 302
    refused(send_comment(f"/posts/{post.slug}", "Me too!"), "You already posted this comment here.")
    refused(send_comment(f"/posts/{post.slug}", "  Me too!\n"), "already posted")
    assert stored() == 1
    # Other words, another post: fine.
    assert send_comment(f"/posts/{post.slug}", "Me too!!").status_code == 302
    other = factory.post(factory.user("author"), "Another post")
    assert send_comment(f"/posts/{other.slug}", "Me too!").status_code == 302
    assert stored() == 3


def test_someone_else_may_say_the_same(client, factory, post, reader, send_comment: SendComment):
    assert send_comment(f"/posts/{post.slug}", "Me too!").status_code == 302
    login(client, factory.user("reader", "sam"))
    assert send_comment(f"/posts/{post.slug}", "Me too!").status_code == 302


def test_a_repeat_after_a_day_is_not_refused(post, reader):
    rules, start = services.SpamRules(min_seconds=0), utcnow()

    def say(now):
        data = services.CommentInput(body="Happy new year!")
        return services.post_comment(db.session, reader, post.id, data, now, "open", rules)

    say(start)
    with pytest.raises(Invalid, match="already posted"):
        say(start + services.REPEAT_WINDOW - timedelta(seconds=1))
    assert say(start + services.REPEAT_WINDOW).body_source == "Happy new year!"


# Rate limits, in memory and in Redis.


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url, tmp_path) -> Iterator[Flask]:
    overrides = {
        "COMMENT_LIMITS_PER_ACCOUNT": "3 per minute",
        "COMMENT_LIMITS_PER_ADDRESS": "5 per minute",
    }
    with app_with_limits(request.param, tmp_path, database_url, **overrides) as app:
        factory = Factory(app)
        admin = factory.user("admin", "boss")
        site.update(db.session, admin, comment_policy="open")
        factory.post(factory.user("author", "writer"), "Discussed")
        yield app


def _comment(client, body: str, address: str) -> int:
    post_id = db.session.scalar(select(Post.id))
    response = submit(
        client, f"/posts/{post_id}/comments", {"body": body}, environ_base={"REMOTE_ADDR": address}
    )
    return response.status_code


def test_comments_are_limited_per_account_across_addresses(limited_app):
    factory = Factory(limited_app)
    client = limited_app.test_client()
    login(client, factory.user("reader", "rita"))
    statuses = [_comment(client, f"Comment {n}", f"10.0.0.{n}") for n in range(4)]
    assert statuses == [302] * 3 + [429]
    assert "Too many attempts" in submit(client, "/posts/1/comments", {"body": "x"}).get_data(
        as_text=True
    )
    login(client, factory.user("reader", "sam"))
    assert _comment(client, "Sam's turn", "10.0.0.9") == 302


def test_comments_are_limited_per_address_across_accounts(limited_app):
    factory = Factory(limited_app)
    client = limited_app.test_client()
    statuses = []
    for n in range(6):
        login(client, factory.user("reader", f"reader{n}"))
        statuses.append(_comment(client, f"Comment {n}", "10.0.0.1"))
    assert statuses == [302] * 5 + [429]
    assert _comment(client, "From elsewhere", "10.0.0.2") == 302
    assert db.session.scalar(select(func.count(Comment.id))) == 6
