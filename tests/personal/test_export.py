"""Downloading one's own data: a zip of data.json (profile, posts with every revision,
comments, favourites, follows, images, API token names) and a Markdown file with front
matter per post; never a token's secret; a few times an hour; in a fixed number of
queries; a visitor is sent to log in."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from inkstand.accounts import services as accounts
from inkstand.accounts import tokens
from inkstand.accounts.models import Role
from inkstand.blog.services import favourites
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.subscriptions.models import Subscriber, author_scope
from tests.helpers import change, login, recorded_sql, submit

PAGE = "/settings/data"


def _download(client):
    return submit(client, PAGE, page=PAGE)


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    response.close()  # as a WSGI server does: the temporary file goes
    return zipfile.ZipFile(io.BytesIO(body))


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN])
def test_every_role_downloads_her_own_data(client, factory, role):
    factory.user(Role.ADMIN, "boss")
    bram = factory.user(Role.AUTHOR, "bram")
    his = factory.post(bram, "His post")
    me = factory.user(role, "ada")
    factory.comment(me, his, "My comment")
    accounts.follow(db.session, me, "bram")
    favourites.favourite(db.session, me, his.id)
    _, secret = tokens.create(db.session, me, "my script", "read", utcnow())
    db.session.add_all([
        Subscriber(email=me.email, scope=author_scope(bram.id), author_id=bram.id, key="k" * 16,
                   confirmed_at=utcnow()),
        Subscriber(email="someone.else@example.org", scope="site", key="j" * 16),
    ])  # fmt: skip
    db.session.commit()
    login(client, me)

    archive = _zip(_download(client))

    data = json.loads(archive.read("data.json"))
    assert data["account"]["username"] == "ada"
    assert data["comments"][0]["body"] == "My comment"
    assert data["favourites"][0]["slug"] == his.slug
    assert data["follows"]["following"][0]["username"] == "bram"
    assert [t["name"] for t in data["api_tokens"]] == ["my script"]
    (subscription,) = data["subscriptions"]
    assert subscription["to"] == "author bram"
    assert subscription["confirmed_at"]
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert secret.encode() not in everything
    assert secret[:12].encode() not in everything  # not even the shown prefix
    assert b"My comment" in everything
    assert b"His post" in everything
    assert b"password" not in everything


def test_posts_come_with_every_revision_and_as_markdown(client, factory):
    factory.user(Role.ADMIN, "boss")
    me = factory.user(Role.AUTHOR, "ada")
    post = factory.post(me, 'A "quoted"\ntitle: injected', body="First body")
    change(post, me, body="Second body", tags=["one", "two"])
    login(client, me)

    archive = _zip(_download(client))

    data = json.loads(archive.read("data.json"))
    (saved,) = data["posts"]
    assert [r["body"] for r in saved["revisions"]] == ["First body", "Second body"]
    markdown = archive.read(f"posts/{saved['slug']}.md").decode()
    head, body = markdown.split("\n---\n", 1)
    lines = head.removeprefix("---\n").splitlines()
    assert [line.split(":", 1)[0] for line in lines] == [
        "title", "slug", "status", "tags", "excerpt", "published_at", "created_at", "updated_at"
    ]  # fmt: skip
    assert json.loads(lines[0].split(": ", 1)[1]) == saved["title"]
    assert json.loads(lines[3].split(": ", 1)[1]) == ["one", "two"]
    assert body.strip() == "Second body"


def test_the_download_costs_the_same_whatever_she_wrote(client, factory):
    factory.user(Role.ADMIN, "boss")
    me = factory.user(Role.AUTHOR, "ada")
    login(client, me)
    factory.post(me)
    with recorded_sql() as few:
        _zip(_download(client))
    for _ in range(5):
        post = factory.post(me)
        change(post, me, body="Again")
        factory.comment(me, post)
    with recorded_sql() as many:
        _zip(_download(client))
    assert len(many) == len(few)


def test_the_download_is_rate_limited(client, factory):
    factory.user(Role.ADMIN, "boss")
    login(client, factory.user(Role.AUTHOR, "ada"))
    for _ in range(3):
        _zip(_download(client))
    assert _download(client).status_code == 429


def test_a_visitor_is_sent_to_log_in_and_a_forged_form_refused(client, factory):
    response = submit(client, PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    login(client, factory.user(Role.AUTHOR, "ada"))
    response = client.post(PAGE)  # no CSRF token
    assert response.status_code == 400
    assert client.get(PAGE).status_code == 200
