"""What a comment shows every reader is drawn once per process and reused: every
change that shows retires it, and nothing of one viewer's (her controls, her CSRF
token) is ever kept, nor drawn for another."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand.accounts.models import User
from inkstand.blog.fragments import Fragments
from inkstand.blog.models import Post
from inkstand.comments import services
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import Client, Factory, change_account, login

RULES = services.SpamRules(min_seconds=0, max_links=10)


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    return {
        "admin": factory.user("admin", "boss"),
        "writer": factory.user("author", "writer"),
        "carl": change_account(factory.user("reader", "carl"), display_name="Carl Commenter"),
        "dora": factory.user("reader", "dora"),
    }


@pytest.fixture
def post(factory: Factory, people: dict[str, User]) -> Post:
    return factory.post(people["writer"], "Talk to me")


def as_viewer(app: Flask, user: User | None) -> FlaskClient:
    """A browser of its own, logged in as ``user`` (none: a visitor)."""
    client = Client(app)
    if user is not None:
        login(client, user)
    return client


def page(client: FlaskClient, post: Post) -> str:
    response = client.get(f"/posts/{post.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def article_in(html: str, comment: Comment) -> str:
    """The markup of ``comment`` on a post page."""
    start = html.index(f'<li id="comment-{comment.id}">')
    end = html.find("</article>", start) + len("</article>")
    gone = html.find('<p class="comment-gone">', start)
    return html[start : end if gone == -1 or end < gone else html.index("</p>", gone)]


def article(client: FlaskClient, post: Post, comment: Comment) -> str:
    """The markup of ``comment`` on the post page, as ``client``'s viewer sees it."""
    return article_in(page(client, post), comment)


def page_token(html: str) -> str:
    """The CSRF token of the viewer a page was drawn for (its comment form's)."""
    found = re.search(r'<form method="post" action="/posts/\d+/comments".*?name="csrf_token" '
                      r'type="hidden" value="([^"]+)"', html, re.S)  # fmt: skip
    assert found, "no comment form"
    return found[1]


def kept_comments(app: Flask) -> list[str]:
    store: Fragments = app.extensions["inkstand.fragments"]
    return [str(html) for key, html in store._kept.items() if key[0] == "comment"]


def test_a_comment_is_drawn_once_and_served_again(app, factory, people, post):
    comment = factory.comment(people["carl"], post, "Kept *once*")
    client = as_viewer(app, people["dora"])
    first = article(client, post, comment)
    assert "<em>once</em>" in first
    kept = kept_comments(app)
    assert any("<em>once</em>" in html for html in kept)
    assert article(client, post, comment) == first
    # A visitor gets the same, without the actions.
    actions = re.compile(r'<div class="comment-actions">.*</div>', re.S)
    visitor = article(as_viewer(app, None), post, comment)
    assert visitor.split() == actions.sub("", first).split()
    assert kept_comments(app) == kept


def test_an_edit_retires_the_kept_comment(app, factory, people, post):
    comment = factory.comment(people["carl"], post, "The first words")
    client = as_viewer(app, people["dora"])
    assert "· edited" not in article(client, post, comment)
    services.edit_comment(db.session, people["carl"], comment.id, "Second words", utcnow(), RULES)
    shown = article(client, post, comment)
    assert "Second words" in shown
    assert "The first words" not in shown
    assert "· edited" in shown


def test_moderation_retires_the_kept_comment(app, factory, people, post):
    comment = factory.comment(people["carl"], post, "Hold me", policy="hold_all")
    moderator = as_viewer(app, people["writer"])
    assert "Awaiting approval" in article(moderator, post, comment)
    assert 'class="comment held"' in article(moderator, post, comment)
    services.moderate(db.session, people["writer"], [comment.id], "approve")
    approved = article(moderator, post, comment)
    assert "Awaiting approval" not in approved
    assert 'class="comment held"' not in approved
    services.moderate(db.session, people["writer"], [comment.id], "spam")
    assert '<span class="badge badge-spam">Spam</span>' in article(moderator, post, comment)
    assert f'id="comment-{comment.id}"' not in as_viewer(app, people["dora"]).get(
        f"/posts/{post.slug}"
    ).get_data(as_text=True)


def test_a_renamed_writer_retires_the_kept_comment(app, factory, people, post):
    comment = factory.comment(people["carl"], post)
    client = as_viewer(app, people["dora"])
    assert "Carl Commenter" in article(client, post, comment)
    change_account(people["carl"], display_name="Carlos Renamed", username="carlos")
    shown = article(client, post, comment)
    assert "Carlos Renamed" in shown
    assert 'href="/authors/carlos"' in shown
    assert "Carl Commenter" not in shown
    assert ">C</span>" in shown  # the initial stands in for an avatar


def test_a_new_avatar_retires_the_kept_comment(app, factory, people, post):
    comment = factory.comment(people["carl"], post)
    client = as_viewer(app, people["dora"])
    assert 'class="avatar avatar-initial' in article(client, post, comment)
    people["carl"].avatar_name = "b" * 64 + ".png"
    db.session.commit()
    shown = article(client, post, comment)
    assert f'src="/media/{"b" * 64}.png"' in shown
    assert "avatar-initial" not in shown


def test_a_deleted_comment_leaves_its_kept_text_behind(app, factory, people, post):
    comment = factory.comment(people["carl"], post, "Soon gone")
    factory.comment(people["dora"], post, "A reply holds the thread", parent=comment)
    client = as_viewer(app, people["dora"])
    assert "Soon gone" in article(client, post, comment)
    services.delete_comment(db.session, people["carl"], comment.id, utcnow())
    shown = article(client, post, comment)
    assert "Soon gone" not in shown
    assert "[deleted]" in shown


def test_an_accounts_controls_never_reach_another_viewer(app, factory, people, post):
    """Carl sees Edit and Delete on his comment, with his own CSRF token; Dora, a
    visitor and the post's author each see only what they may do, drawn after his."""
    comment = factory.comment(people["carl"], post, "Mine")
    carl = page(as_viewer(app, people["carl"]), post)
    own, token = article_in(carl, comment), page_token(carl)
    assert f"/comments/{comment.id}/edit" in own
    assert f"/comments/{comment.id}/delete" in own
    assert f'name="csrf_token" value="{token}"' in own

    dora = page(as_viewer(app, people["dora"]), post)
    seen = article_in(dora, comment)
    assert f"/comments/{comment.id}/reply" in seen
    assert "/edit" not in seen
    assert "/delete" not in seen
    assert "csrf_token" not in seen
    assert token not in dora

    visitor = article(as_viewer(app, None), post, comment)
    assert "comment-actions" not in visitor
    assert "csrf_token" not in visitor

    author = page(as_viewer(app, people["writer"]), post)
    moderated = article_in(author, comment)
    assert f"/comments/{comment.id}/delete" in moderated
    assert "/edit" not in moderated
    assert token not in moderated
    assert f'name="csrf_token" value="{page_token(author)}"' in moderated

    # Nothing kept holds a control or a token, whoever was drawn first.
    for html in kept_comments(app):
        assert "comment-actions" not in html
        assert "csrf" not in html


def _untokened(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def test_live_updates_draw_the_kept_comment_for_each_viewer(app, factory, people, post):
    """The stream draws comments as the page does: the same markup, its viewer's controls."""
    comment = factory.comment(people["carl"], post, "Live and kept")
    carl, dora = as_viewer(app, people["carl"]), as_viewer(app, people["dora"])
    on_page = article(carl, post, comment)
    url = f"/posts/{post.id}/comments/updates?after=0"
    own = carl.get(url).get_json()["events"][-1]["html"]
    # The page's <li> aside, and the token's value: it names the second it was signed.
    assert _untokened(own).split() == _untokened(on_page.split(">", 1)[1]).split()
    theirs = dora.get(url).get_json()["events"][-1]["html"]
    assert "Live and kept" in theirs
    assert "/edit" not in theirs
    assert "/delete" not in theirs
