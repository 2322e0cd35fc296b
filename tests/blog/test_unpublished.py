"""Nothing unpublished is confirmed to exist: another account's draft, scheduled post
or archived post that was never published answers every route, every method and
every door exactly as a post that does not exist (404 to anyone logged in), while
its writer, editors and admins still find it. The routes are every route of the URL
map that takes a post by id or by slug, so a route added tomorrow is held to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from inkstand.accounts import tokens
from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import Client, Factory, _any_value, change, csrf_token, login

POST_KEYS = {"post_id", "slug"}
KINDS = ("draft", "scheduled", "archived")
STRANGERS = ("visitor", Role.READER, Role.AUTHOR)  # none may see another's draft
INSIDERS = ("owner", Role.EDITOR, Role.ADMIN)  # all may
MISSING = {"post_id": 2**31 - 2, "slug": "no-such-post-anywhere"}
# What a write sends: enough to pass each door's shape, so the answer is the lookup's.
V1_BODY = {"comments": {"body": "Hello there"}, "publish": {}, "": {"title": "Changed"}}
REALWORLD_BODY = {"article": {"title": "Changed", "body": "Hi"}, "comment": {"body": "Hi"}}


def _v1_body(path: str) -> dict[str, str]:
    last = path.rsplit("/", 1)[-1]
    return V1_BODY.get(last, V1_BODY[""])


def post_rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every route that takes a post, with every method it answers (HEAD and OPTIONS
    aside: they follow GET and the CORS policy)."""
    found = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if POST_KEYS & set(rule.arguments)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    assert len(found) >= 20, found  # the site's, the native API's and RealWorld's
    return found


def url(app: Flask, rule: Rule, method: str, key: dict[str, Any]) -> str:
    values = {name: key.get(name, _other_value(rule, name)) for name in rule.arguments}
    return app.url_map.bind("inkstand.test").build(rule.endpoint, values, method=method)


def _as_missing(location: str, seen: dict[str, Any]) -> str:
    """A redirect's address with the post's keys in it (a log-in page's ``next``) put as
    the missing post's, to compare the two."""
    location = unquote(location) + "/"
    for name, value in seen.items():
        location = location.replace(f"/{value}/", f"/{MISSING[name]}/")
    return location


def _other_value(rule: Rule, name: str) -> str | int:
    """An argument other than the post's: 7 for a number (never the post's id, which
    the log-in page's ``next`` is compared by), else a value the route takes."""
    converter = rule._converters[name]
    return 7 if isinstance(converter, IntegerConverter) else _any_value(converter)


@dataclass
class Caller:
    """One account (or nobody) calling through whichever door a route belongs to."""

    client: FlaskClient
    v1_token: str | None = None
    realworld_token: str | None = None
    csrf: str = ""

    def call(self, path: str, method: str) -> TestResponse:
        headers: dict[str, str] = {}
        kwargs: dict[str, Any] = {}
        if path.startswith("/api/v1/"):
            if self.v1_token:
                headers["Authorization"] = f"Bearer {self.v1_token}"
            kwargs["json"] = _v1_body(path) if method != "GET" else None
        elif path.startswith("/api/"):
            if self.realworld_token:
                headers["Authorization"] = f"Token {self.realworld_token}"
            kwargs["json"] = REALWORLD_BODY if method != "GET" else None
        elif method == "POST":
            kwargs["data"] = {"csrf_token": self.csrf, "body": "Hello there", "title": "Changed"}
            kwargs["data"]["version"] = "1"  # the editor's autosave names the version
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        response.close()  # a live stream is not read
        return response


def caller(app: Flask, user: User | None) -> Caller:
    app.test_client_class = Client  # each request in its own app context, as in production
    client = app.test_client()
    if user is None:
        return Caller(client, csrf=csrf_token(client, "/login"))
    login(client, user)
    return Caller(
        client,
        v1_token=tokens.create(db.session, user, "t", "read-write", utcnow())[1],
        realworld_token=app.extensions["inkstand.realworld"].issue(user, utcnow()),
        csrf=csrf_token(client, "/settings"),
    )


@pytest.fixture(autouse=True)
def _live_answers_at_once(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long poll or a stream of a post's comments ends at once instead of waiting."""
    monkeypatch.setitem(app.config, "LIVE_POLL_SECONDS", 0)
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 0)


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    admin = factory.user(Role.ADMIN)  # the first account
    return {
        "owner": factory.user(Role.AUTHOR),
        Role.AUTHOR: factory.user(Role.AUTHOR),
        Role.READER: factory.user(Role.READER),
        Role.EDITOR: factory.user(Role.EDITOR),
        Role.ADMIN: admin,
    }


def unpublished(factory: Factory, owner: User, kind: str) -> Post:
    if kind == "scheduled":
        later = utcnow() + timedelta(days=3)
        return factory.post(owner, "Secret plan", status="published", publish_at=later)
    return factory.post(owner, "Secret plan", status=kind, tags="secret")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", STRANGERS)
def test_a_stranger_meets_an_unpublished_post_as_a_missing_one(
    app: Flask, factory: Factory, people: dict[str, User], kind: str, who: str
) -> None:
    post = unpublished(factory, people["owner"], kind)
    stranger = caller(app, people.get(who))
    seen = {"post_id": post.id, "slug": post.slug}
    for rule, method in post_rules(app):
        hidden = stranger.call(url(app, rule, method, seen), method)
        missing = stranger.call(url(app, rule, method, MISSING), method)
        where = f"{method} {rule.rule} as {who}"
        assert hidden.status_code == missing.status_code, where
        assert (
            _as_missing(hidden.headers.get("Location", ""), seen)
            == unquote(missing.headers.get("Location", "")) + "/"
        ), where
        assert "Secret plan" not in hidden.get_data(as_text=True), where
        if who != "visitor":
            assert hidden.status_code == 404, f"{where}: {hidden.get_data(as_text=True)}"
    assert db.session.get(Post, post.id) is not None  # no refused request changed it
    db.session.expire_all()
    assert db.session.get(Post, post.id).version == post.version


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", INSIDERS)
def test_the_writer_editors_and_admins_still_find_it(
    app: Flask, factory: Factory, people: dict[str, User], kind: str, who: str
) -> None:
    post = unpublished(factory, people["owner"], kind)
    insider = caller(app, people[who])
    seen = {"post_id": post.id, "slug": post.slug}
    reads = [(rule, method) for rule, method in post_rules(app) if method == "GET"]
    for rule, method in reads:
        response = insider.call(url(app, rule, method, seen), method)
        assert response.status_code in {200, 302}, f"{method} {rule.rule} as {who}"


def test_another_writers_public_post_is_refused_not_hidden(
    app: Flask, factory: Factory, people: dict[str, User]
) -> None:
    post = factory.post(people["owner"], "Out in the open")
    other = caller(app, people[Role.AUTHOR])
    assert other.call(f"/posts/{post.id}/edit", "GET").status_code == 403
    assert other.call(f"/api/v1/posts/{post.id}", "DELETE").status_code == 403
    assert other.call(f"/api/articles/{post.slug}", "PUT").status_code == 403


TAG_ADDRESSES = (
    "/tags/{}",
    "/tags/{}/rss.xml",
    "/tags/{}/atom.xml",
    "/api/v1/posts?tag={}",
    "/api/articles?tag={}",
)


@pytest.mark.parametrize("kind", KINDS)
def test_a_tag_only_unpublished_posts_carry_is_an_unknown_tag(
    client: FlaskClient, factory: Factory, people: dict[str, User], kind: str
) -> None:
    post = unpublished(factory, people["owner"], kind)
    change(post, people["owner"], tags=["secret"])
    for address in TAG_ADDRESSES:
        hidden, unknown = client.get(address.format("secret")), client.get(address.format("nope"))
        assert hidden.status_code == unknown.status_code, address
        assert hidden.get_data() == unknown.get_data().replace(b"nope", b"secret"), address
    for lists in ("/api/v1/tags", "/api/tags", "/sitemaps/tags.xml"):
        assert b"secret" not in client.get(lists).get_data(), lists


def test_a_tag_is_found_again_once_a_post_carrying_it_is_published(
    client: FlaskClient, factory: Factory, people: dict[str, User]
) -> None:
    post = unpublished(factory, people["owner"], "draft")
    assert client.get("/tags/secret").status_code == 404
    change(post, people["owner"], status="published")
    assert client.get("/tags/secret").status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_an_address_an_unpublished_post_holds_is_not_refused_to_a_stranger(
    app: Flask, factory: Factory, people: dict[str, User], kind: str
) -> None:
    held = unpublished(factory, people["owner"], kind)
    other = caller(app, people[Role.AUTHOR])
    response = other.client.post(
        "/api/v1/posts",
        headers={"Authorization": f"Bearer {other.v1_token}"},
        json={"title": "Mine", "body": "Text", "slug": held.slug},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["slug"] == f"{held.slug}-2"
    # Someone who may see the post is told the address is taken.
    editor = caller(app, people[Role.EDITOR])
    response = editor.client.post(
        "/api/v1/posts",
        headers={"Authorization": f"Bearer {editor.v1_token}"},
        json={"title": "Mine", "body": "Text", "slug": held.slug},
    )
    assert response.status_code == 422
    assert "slug" in response.get_json()["errors"]
