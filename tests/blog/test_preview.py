"""The editor's preview: rendered by the function that renders on save, for writers
only, CSRF-checked and rate-limited; and the no-script "Preview" button."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from inkstand.blog.models import Post
from inkstand.blog.services import posts
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid
from inkstand.extensions import db
from tests.helpers import POST_BODY_MAX, Factory, app_with_limits, csrf_token, form_values, login

MARKDOWN = st.lists(
    st.sampled_from([
        "# Title", "## Sub", "**bold**", "*em*", "~~gone~~", "`code`", "```python\nx = 1\n```",
        "| a | b |\n|---|---|\n| 1 | 2 |", "- one\n- two", "1. first", "> quoted", "[^1]",
        "[^1]: note", "[link](https://example.com)", "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">', "[x](javascript:alert(1))", "\x00", "&amp;", "\n\n",
    ]) | st.text(max_size=40),
    min_size=1, max_size=8,
).map("\n".join)  # fmt: skip


def test_the_preview_is_the_html_a_save_stores(factory):
    author = factory.user()

    @settings(max_examples=40, deadline=None)
    @given(body=MARKDOWN)
    def check(body: str) -> None:
        if not body.replace("\x00", "").strip():
            body += "text"  # a save needs a body
        shown = posts.preview(db.session, author, body, POST_BODY_MAX)
        changes = posts.PostChanges(title="T", body=body)
        saved = posts.create_post(db.session, author, changes, utcnow(), POST_BODY_MAX)
        assert shown == saved.body_html

    check()


@pytest.mark.parametrize("role", ["reader"])
def test_readers_may_not_preview(factory, role):
    with pytest.raises(Forbidden):
        posts.preview(db.session, factory.user(role), "text", POST_BODY_MAX)
    with pytest.raises(Forbidden):
        posts.preview(db.session, None, "text", POST_BODY_MAX)


def test_a_body_over_the_limit_is_refused(factory):
    with pytest.raises(Invalid) as refused:
        posts.preview(db.session, factory.user(), "x" * 11, 10)
    assert "body" in refused.value.errors


# The endpoint


def _ask(client, body: str, token: str | None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/posts/preview", data={"body": body}, headers=headers)


@pytest.mark.parametrize(("role", "status"), [
    ("admin", 200), ("editor", 200), ("author", 200), ("reader", 403),
])  # fmt: skip
def test_the_preview_answers_writers_only(client, factory, role, status):
    factory.user("admin", "first")  # the first account is always admin
    login(client, factory.user(role))
    response = _ask(client, "Some **bold** <script>x</script>", csrf_token(client, "/"))
    assert response.status_code == status
    if status == 200:
        assert response.get_json() == {
            "html": "<p>Some <strong>bold</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
        }


def test_a_visitor_is_sent_to_log_in(client):
    response = client.post("/posts/preview", data={"body": "x"})
    assert response.status_code in {302, 400}  # no session: no CSRF token either
    assert response.status_code == 400 or "/login" in response.headers["Location"]


def test_the_preview_needs_a_csrf_token(client, factory):
    login(client, factory.user())
    assert _ask(client, "text", None).status_code == 400
    assert _ask(client, "text", "forged").status_code == 400


def test_a_long_body_is_a_422_not_a_crash(client, factory):
    login(client, factory.user())
    response = _ask(client, "x" * (POST_BODY_MAX + 1), csrf_token(client, "/"))
    assert response.status_code == 422


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_previews_are_rate_limited_per_account(storage, tmp_path, database_url):
    limits = {"PREVIEW_LIMITS_PER_ACCOUNT": "3 per minute"}
    with app_with_limits(storage, tmp_path, database_url, **limits) as app:
        factory = Factory(app)
        factory.user("admin", "boss")
        client = app.test_client()
        login(client, factory.user())
        token = csrf_token(client, "/")
        statuses = [_ask(client, "text", token).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# Without JavaScript


def test_the_preview_button_renders_the_form_and_saves_nothing(client, factory):
    author = factory.user()
    post = factory.post(author, "Kept", body="Old words.")
    login(client, author)
    page = f"/posts/{post.id}/edit"
    form = form_values(client, page)
    response = client.post(page, data={**form, "body": "New *words*.", "preview": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<p>New <em>words</em>.</p>" in html
    assert "New *words*." in html  # still in the textarea
    db.session.expire_all()
    stored = db.session.get(Post, post.id)
    assert (stored.body_source, stored.version) == ("Old words.", 1)


def test_a_new_post_can_be_previewed_before_its_first_save(client, factory):
    login(client, factory.user())
    form = form_values(client, "/write")
    response = client.post("/write", data={**form, "title": "T", "body": "# Hi", "preview": "1"})
    assert response.status_code == 200
    assert "<h2>Hi</h2>" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Post.id))) == 0
