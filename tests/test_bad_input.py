"""Bad input gets a clear answer — a 4xx, or the form again with its errors (422) —
never a 500 and never a half-written record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.accounts.services import BIO_MAX, DISPLAY_NAME_MAX, PASSWORD_MAX
from inkstand.blog.models import Post, Tag
from inkstand.blog.services.posts import EXCERPT_MAX, SLUG_MAX, TAG_MAX, TAGS_PER_POST, TITLE_MAX
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.site.models import SiteSetting
from tests.helpers import (
    BAD_CURSOR,
    POST_BODY_MAX,
    REQUIRED,
    TOO_LONG,
    Factory,
    assert_form_error,
    csrf_token,
    fresh,
    login,
    stored,
    submit,
)

GOOD_POST = {"title": "A good title", "body": "A good body.", "status": "published"}
NOT_A_TAG = "is not a tag: use letters, digits and hyphens."


@pytest.fixture
def writer(client: FlaskClient, factory: Factory) -> User:
    factory.user("admin", "boss")
    user = factory.user("author", "writer")
    login(client, user)
    return user


# Each case: fields changed from a good post, and the message the form must show.
POST_CASES = [
    pytest.param({"title": "x" * (TITLE_MAX + 1)}, TOO_LONG.format(TITLE_MAX), id="title-too-long"),
    pytest.param({"title": ""}, REQUIRED, id="title-empty"),
    pytest.param({"title": "   "}, REQUIRED, id="title-blank"),
    pytest.param({"title": "\x00\x00"}, REQUIRED, id="title-only-nul"),
    pytest.param({"title": "Bell\x07"}, "printable characters", id="title-control-char"),
    pytest.param({"body": ""}, REQUIRED, id="body-empty"),
    pytest.param({"body": " \n\t "}, REQUIRED, id="body-blank"),
    pytest.param(
        {"body": "x" * (POST_BODY_MAX + 1)},
        f"limited to {POST_BODY_MAX:,} characters",
        id="body-too-long",
    ),
    pytest.param({"slug": "a" * (SLUG_MAX + 1)}, TOO_LONG.format(SLUG_MAX), id="slug-too-long"),
    pytest.param({"slug": "Not a slug!"}, "single hyphens", id="slug-bad-chars"),
    pytest.param({"slug": "double--hyphen"}, "single hyphens", id="slug-double-hyphen"),
    pytest.param({"slug": "taken"}, "Another post already uses this address.", id="slug-taken"),
    pytest.param(
        {"excerpt": "x" * (EXCERPT_MAX + 1)}, TOO_LONG.format(EXCERPT_MAX), id="excerpt-too-long"
    ),
    pytest.param({"tags": "x" * 501}, TOO_LONG.format(500), id="tags-too-long"),
    pytest.param({"tags": "a" * (TAG_MAX + 1)}, NOT_A_TAG, id="one-tag-too-long"),
    pytest.param({"tags": "python, c++"}, NOT_A_TAG, id="tag-plus"),
    pytest.param({"tags": "a/b"}, NOT_A_TAG, id="tag-slash"),
    pytest.param({"tags": "🎉"}, NOT_A_TAG, id="tag-emoji-only"),
    pytest.param({"tags": "#hash"}, NOT_A_TAG, id="tag-hash"),
    pytest.param({"tags": "-edge-"}, NOT_A_TAG, id="tag-edge-hyphens"),
    pytest.param({"tags": "a.b"}, NOT_A_TAG, id="tag-dot"),
    pytest.param(
        {"tags": ", ".join(f"tag{n}" for n in range(TAGS_PER_POST + 1))},
        f"at most {TAGS_PER_POST} tags",
        id="eleven-tags",
    ),
    pytest.param({"publish_at": "not a date"}, "Not a valid datetime value.", id="when-garbage"),
    pytest.param({"publish_at": "2030-13-45T25:61"}, "Not a valid datetime", id="when-impossible"),
    pytest.param({"publish_at": "10000-01-01T00:00"}, "Not a valid datetime", id="when-year-10k"),
    pytest.param({"status": "bogus"}, "Not a valid choice.", id="status-unknown"),
    pytest.param({"status": "scheduled"}, "Not a valid choice.", id="status-not-stored"),
    pytest.param({"status": ""}, "Not a valid choice.", id="status-empty"),
]


@pytest.mark.parametrize(("change", "message"), POST_CASES)
def test_a_bad_new_post_is_refused_whole(
    client: FlaskClient, factory: Factory, writer: User, change: dict[str, str], message: str
) -> None:
    factory.post(writer, "Taken", tags="existing")
    before = stored()
    response = submit(client, "/write", {**GOOD_POST, "tags": "fresh-tag", **change}, page="/write")
    assert_form_error(response, message)
    assert stored() == before


@pytest.mark.parametrize(("change", "message"), POST_CASES)
def test_a_bad_edit_leaves_the_post_as_it_was(
    client: FlaskClient, factory: Factory, writer: User, change: dict[str, str], message: str
) -> None:
    factory.post(writer, "Taken")
    post = factory.post(writer, "Original", tags="kept", body="Original body.")
    before = stored()
    url = f"/posts/{post.id}/edit"
    response = submit(client, url, {**GOOD_POST, "tags": "new-tag", **change}, page=url)
    assert_form_error(response, message)
    assert stored() == before
    again = fresh(select(Post).where(Post.id == post.id))
    assert (again.title, again.body_source, again.slug) == ("Original", "Original body.", post.slug)


def test_nul_characters_are_dropped_from_what_is_kept(client: FlaskClient, writer: User) -> None:
    form = {"title": "Nul\x00 title", "body": "Nul\x00 body", "tags": "py\x00thon"}
    response = submit(client, "/write", {**GOOD_POST, **form}, page="/write")
    assert response.status_code == 302
    post = fresh(select(Post).order_by(Post.id.desc()).limit(1))
    assert (post.title, post.body_source) == ("Nul title", "Nul body")
    assert fresh(select(Tag.name)) == "python"
    response = submit(client, "/settings", {"display_name": "A\x00B", "bio": "\x00"})
    assert response.status_code == 302
    assert fresh(select(User.display_name).where(User.username == "writer")) == "AB"


@pytest.mark.parametrize(
    "where", ["/tags/a%00b", "/authors/wri%00ter", "/posts/a%00b", "/password/reset/a%00b"]
)
def test_a_nul_in_an_address_is_not_found(client: FlaskClient, writer: User, where: str) -> None:
    assert client.get(where).status_code == 404


def test_undecodable_bytes_in_a_form_are_refused(client: FlaskClient, writer: User) -> None:
    token = csrf_token(client, "/write")
    before = stored()
    for raw in [b"title=\xff\xfe&body=ok", b"title=ok&body=\xc3(", b"title=\xed\xa0\x80&body=ok"]:
        response = client.post(
            "/write",
            data=b"csrf_token=" + token.encode() + b"&status=published&" + raw,
            content_type="application/x-www-form-urlencoded",
        )
        assert 400 <= response.status_code < 500, raw
    assert stored() == before


def test_undecodable_escaped_bytes_become_harmless_text(client: FlaskClient, writer: User) -> None:
    """Percent-escaped bytes that are not UTF-8 stay as the escapes: text any database keeps."""
    token = csrf_token(client, "/write")
    form = f"csrf_token={token}&status=published&title=%FF%FEtitle&body=%C3%28body%ED%A0%80"
    response = client.post("/write", data=form, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    post = fresh(select(Post).order_by(Post.id.desc()).limit(1))
    assert (post.title, post.body_source) == ("%FF%FEtitle", "%C3(body%ED%A0%80")
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_request_over_the_size_limit_is_413(
    app: Flask, client: FlaskClient, writer: User
) -> None:
    token = csrf_token(client, "/write")
    before = stored()
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    response = client.post("/login", data={"csrf_token": token, "login": "x" * limit})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    # The editor's form may carry an image: its limit is the image's, and a little more.
    limit = app.config["MEDIA_MAX_BYTES"] + media_context.FORM_ROOM
    body = "x" * limit
    response = client.post("/write", data={"csrf_token": token, **GOOD_POST, "body": body})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert stored() == before


@pytest.mark.parametrize(
    "query",
    [
        "before=garbage",
        "after=garbage",
        "after=99999999999999999999-1",
        "before=1-99999999999999",
        "before=1-",
        "before=-1",
        "before=--1-1",
        "before=1.5-1",
        "before=%00",
        "after=-99999999999999999-1",  # before year 1
        "before=99999999999999999-99999999999",  # an id beyond the integer column
        "before=1-2147483648",
    ],
)
@pytest.mark.parametrize("page", ["/", "/tags/news", "/authors/writer", "/manage"])
def test_a_bad_page_cursor_is_400(
    client: FlaskClient, factory: Factory, writer: User, page: str, query: str
) -> None:
    factory.post(writer, "Listed", tags="news")
    response = client.get(f"{page}?{query}")
    assert response.status_code == 400
    assert BAD_CURSOR in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "moment", [datetime(1900, 1, 1, tzinfo=UTC), datetime(1969, 7, 20, tzinfo=UTC)]
)
def test_a_post_dated_long_ago_can_be_paged_to_and_back(
    client: FlaskClient, factory: Factory, writer: User, moment: datetime
) -> None:
    """A date the form accepts must not give pager links the site then refuses."""
    db.session.add(SiteSetting(key="posts_per_page", value="1"))
    db.session.commit()
    factory.post(writer, "Ancient", publish_at=moment)
    factory.post(writer, "Recent")
    first = client.get("/").get_data(as_text=True)
    older = re.search(r'href="(/\?before=[^"]+)"', first)
    assert older, "no link to older posts"
    second = client.get(older[1])
    assert second.status_code == 200
    assert "Ancient" in second.get_data(as_text=True)
    newer = re.search(r'href="(/\?after=[^"]+)"', second.get_data(as_text=True))
    assert newer, "no link back to newer posts"
    back = client.get(newer[1])
    assert back.status_code == 200
    assert "Recent" in back.get_data(as_text=True)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_publication_times_out_of_range_are_refused(
    client: FlaskClient, writer: User, moment: str
) -> None:
    response = submit(client, "/write", {**GOOD_POST, "publish_at": moment}, page="/write")
    assert response.status_code == 422
    assert "Choose a year between 1900 and 9000." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Post.id))) == 0


@pytest.mark.parametrize("moment", ["1900-01-01T00:00", "8999-12-31T23:59", "1969-12-31T23:59:59"])
def test_extreme_publication_times_are_stored_and_shown(
    client: FlaskClient, writer: User, moment: str
) -> None:
    response = submit(client, "/write", {**GOOD_POST, "publish_at": moment}, page="/write")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    for page in ["/", "/manage", "/authors/writer"]:
        assert client.get(page).status_code == 200


# Each case: what the form sends, the field and the message it must show.
REGISTER_CASES = [
    pytest.param({"username": "u" * 31}, TOO_LONG.format(30), id="username-too-long"),
    pytest.param({"username": "ab"}, "Use 3 to 30 letters", id="username-too-short"),
    pytest.param({"username": "bad name"}, "Use 3 to 30 letters", id="username-space"),
    pytest.param({"username": "ünïcode"}, "Use 3 to 30 letters", id="username-non-ascii"),
    pytest.param({"username": "a\x00b"}, "Use 3 to 30 letters", id="username-nul-dropped"),
    pytest.param({"username": ""}, REQUIRED, id="username-empty"),
    pytest.param({"email": "a" * 250 + "@x.io"}, TOO_LONG.format(254), id="email-too-long"),
    pytest.param({"email": "not-an-address"}, "Enter a valid e-mail address.", id="email-bad"),
    pytest.param(
        {"password": "p" * (PASSWORD_MAX + 1)},
        TOO_LONG.format(PASSWORD_MAX),
        id="password-too-long",
    ),
    pytest.param({"password": "short"}, "at least 10 characters", id="password-too-short"),
]


@pytest.mark.parametrize(("change", "message"), REGISTER_CASES)
def test_a_bad_registration_creates_no_account(
    client: FlaskClient, factory: Factory, change: dict[str, str], message: str
) -> None:
    factory.user("admin", "boss")
    before = stored()
    form = {"username": "newcomer", "email": "new@example.com", "password": "a fine password"}
    response = submit(client, "/register", {**form, **change}, page="/register")
    assert_form_error(response, message)
    assert stored() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # The service's rule and message, the same through the APIs
        pytest.param(
            {"bio": "b" * (BIO_MAX + 1)}, f"Use at most {BIO_MAX} characters.", id="bio-too-long"
        ),
        pytest.param(
            {"display_name": "d" * (DISPLAY_NAME_MAX + 1)},
            f"Use at most {DISPLAY_NAME_MAX} characters.",
            id="name-too-long",
        ),
    ],
)
def test_a_bad_profile_changes_nothing(
    client: FlaskClient, writer: User, change: dict[str, str], message: str
) -> None:
    form = {"display_name": "Kept", "bio": "Kept bio"}
    assert submit(client, "/settings", form, page="/settings").status_code == 302
    response = submit(client, "/settings", {**form, **change}, page="/settings")
    assert_form_error(response, message)
    user = fresh(select(User).where(User.username == "writer"))
    assert (user.display_name, user.bio) == ("Kept", "Kept bio")


@pytest.mark.parametrize(
    "where",
    [
        "/posts/999999/edit",
        "/posts/999999/revisions",
        "/posts/999999/revisions/compare?from=1&to=2",
        "/posts/99999999999999999999/edit",
    ],
)
def test_no_such_post_is_404(client: FlaskClient, writer: User, where: str) -> None:
    assert client.get(where).status_code == 404


@pytest.mark.parametrize("query", ["from=x&to=y", "from=1&to=99", "", "from=-1&to=1"])
def test_a_bad_comparison_goes_back_to_the_revisions(
    client: FlaskClient, factory: Factory, writer: User, query: str
) -> None:
    post = factory.post(writer, "Compared")
    response = client.get(f"/posts/{post.id}/revisions/compare?{query}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{post.id}/revisions")


def test_restoring_no_such_revision_is_404(
    client: FlaskClient, factory: Factory, writer: User
) -> None:
    post = factory.post(writer, "Restored")
    before = stored()
    assert submit(client, f"/posts/{post.id}/revisions/9/restore").status_code == 404
    assert stored() == before


@pytest.mark.parametrize("token", ["garbage", "a" * 5000, quote("é€", safe="")])
def test_a_bad_reset_link_is_refused(client: FlaskClient, factory: Factory, token: str) -> None:
    factory.user("admin", "boss")
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400
    assert "This link no longer works" in response.get_data(as_text=True)
