"""Races through a real server: requests sent at the same moment by real threads to a
threaded WSGI server on a loopback socket, on SQLite and on PostgreSQL.

Each race is started by a barrier, so the requests really overlap, and run a few
times. Whatever the order the database settles them in, no answer is a server
error, the loser is told plainly (404, 409, 412 or 422) and nothing is half-written:
a deleted post leaves no revision, tag, comment or image use behind, and a post
that stays has one revision per version.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from inkstand.accounts import tokens
from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post, Revision, WorkingRevision, post_tags
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.media.models import MediaUse
from inkstand.site import services as site
from tests.helpers import PASSWORD, Factory, form_values, login, separate_app

ROUNDS = 4  # each race, each door
TIMEOUT = 30  # seconds a request, or a thread, may take before the test fails
HOST = "inkstand.test"  # the test apps' SERVER_NAME


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Live:
    """The app, served by a threaded server on a loopback port."""

    app: Flask
    port: int

    def send(
        self, method: str, path: str, *, headers: dict[str, str] | None = None,
        json_body: Any = None, form: dict[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        sent = {"Host": HOST, **(headers or {})}
        body = None
        if json_body is not None:
            body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    many = "100000 per minute"
    with separate_app(
        tmp_path_factory.mktemp("live"), database_url,
        API_LIMITS=many, API_LIMITS_PER_ADDRESS=many, REGISTER_LIMITS_PER_ADDRESS=many,
        LOGIN_LIMITS_PER_ACCOUNT=many, LOGIN_LIMITS_PER_ADDRESS=many,
        COMMENT_LIMITS_PER_ACCOUNT=many, COMMENT_LIMITS_PER_ADDRESS=many,
    ) as app:  # fmt: skip
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(app, server.server_port)
        finally:
            server.shutdown()
            thread.join(TIMEOUT)


def race(*calls: Callable[[], Answer]) -> list[Answer]:
    """Run the calls in threads released together by a barrier; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | BaseException | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Answer]) -> None:
        try:
            barrier.wait(TIMEOUT)
            answers[index] = call()
        except BaseException as exc:  # reported by the test's thread
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a request did not finish in time"
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return [answer for answer in answers if isinstance(answer, Answer)]


@dataclass
class Writer:
    """An account's three doors to the live server: the site's session (its cookie and
    a CSRF token from its own pages), a native API token and a RealWorld token."""

    live: Live
    user: User
    cookie: str
    v1_token: str
    realworld_token: str

    def form(self, page: str, **changes: str) -> Callable[[], Answer]:
        """Send the form on ``page`` as the site shows it now, with ``changes`` typed in."""
        client = self._client()
        values = {**form_values(client, page), **changes}
        headers = {"Cookie": f"session={self._cookie(client)}"}
        return lambda: self.live.send("POST", page, headers=headers, form=values)

    def delete_form(self, post_id: int) -> Callable[[], Answer]:
        client = self._client()
        form = {"csrf_token": form_values(client, f"/posts/{post_id}/edit")["csrf_token"]}
        headers = {"Cookie": f"session={self._cookie(client)}"}
        path = f"/posts/{post_id}/delete"
        return lambda: self.live.send("POST", path, headers=headers, form=form)

    def _client(self) -> FlaskClient:
        client = self.live.app.test_client()
        client.set_cookie("session", self.cookie, domain=HOST)
        return client

    def _cookie(self, client: FlaskClient) -> str:
        """The session cookie as the page left it (it keeps the form's CSRF secret)."""
        cookie = client.get_cookie("session", domain=HOST)
        assert cookie is not None
        return cookie.value

    def v1(self, method: str, path: str, body: Any = None, **headers: str) -> Callable[[], Answer]:
        sent = {"Authorization": f"Bearer {self.v1_token}", **headers}
        return lambda: self.live.send(method, path, headers=sent, json_body=body)

    def realworld(self, method: str, path: str, body: Any = None) -> Callable[[], Answer]:
        sent = {"Authorization": f"Token {self.realworld_token}"}
        return lambda: self.live.send(method, path, headers=sent, json_body=body)


@pytest.fixture(scope="module")
def writer(live: Live) -> Writer:
    factory = Factory(live.app)
    factory.user(Role.ADMIN, "racer-admin")  # the first account
    user = factory.user(Role.AUTHOR, "racer")
    client = live.app.test_client()
    login(client, user)
    cookie = client.get_cookie("session", domain=HOST)
    assert cookie is not None
    return Writer(
        live, user, cookie.value,
        tokens.create(db.session, user, "race", "read-write", utcnow())[1],
        live.app.extensions["inkstand.realworld"].issue(user, utcnow()),
    )  # fmt: skip


@dataclass(frozen=True)
class Made:
    """A post as it was made: what the racing requests name it by."""

    id: int
    slug: str
    version: int


def fresh_post(live: Live, writer: Writer) -> Made:
    """A new post; the test's own session holds nothing while the server works."""
    post = Factory(live.app).post(writer.user, tags="race, threads")
    made = Made(post.id, post.slug, post.version)
    db.session.rollback()
    return made


def _count(model: Any, column: Any, post_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(column == post_id)) or 0


def assert_whole(post_id: int) -> Post | None:
    """The post as stored, with nothing half-written: gone with everything of it, or
    there with one revision per version."""
    db.session.rollback()  # see what the server committed
    db.session.expire_all()
    post = db.session.get(Post, post_id)
    if post is None:
        for model, column in (
            (Revision, Revision.post_id), (WorkingRevision, WorkingRevision.post_id),
            (Comment, Comment.post_id), (MediaUse, MediaUse.post_id),
        ):  # fmt: skip
            assert _count(model, column, post_id) == 0, model
        assert _count(post_tags, post_tags.c.post_id, post_id) == 0
        return None
    assert _count(Revision, Revision.post_id, post_id) == post.version
    return post


def statuses(answers: list[Answer]) -> list[int]:
    found = [answer.status for answer in answers]
    assert all(status < 500 for status in found), [a.body[:300] for a in answers]
    return found


DOORS = ("form", "v1", "realworld")


def _update(writer: Writer, door: str, post: Made, title: str) -> Callable[[], Answer]:
    if door == "form":
        return writer.form(f"/posts/{post.id}/edit", title=title)
    if door == "v1":
        return writer.v1("PATCH", f"/api/v1/posts/{post.id}", {"title": title})
    return writer.realworld("PUT", f"/api/articles/{post.slug}", {"article": {"title": title}})


def _delete(writer: Writer, door: str, post: Made) -> Callable[[], Answer]:
    if door == "form":
        return writer.delete_form(post.id)
    if door == "v1":
        return writer.v1("DELETE", f"/api/v1/posts/{post.id}")
    return writer.realworld("DELETE", f"/api/articles/{post.slug}")


UPDATED = {"form": 302, "v1": 200, "realworld": 200}
DELETED = {"form": 302, "v1": 204, "realworld": 204}


@pytest.mark.parametrize("door", DOORS)
def test_an_update_racing_a_delete_of_its_post(live: Live, writer: Writer, door: str) -> None:
    for _ in range(ROUNDS):
        post = fresh_post(live, writer)
        update, delete = statuses(
            race(_update(writer, door, post, "Changed meanwhile"), _delete(writer, door, post))
        )
        assert update in {UPDATED[door], 404, 409}
        assert delete in {DELETED[door], 404, 409}
        kept = assert_whole(post.id)
        if delete == DELETED[door]:  # in the trash, whichever way the save went
            assert kept is not None
            assert kept.deleted_at is not None
        else:  # the delete lost to the save, and says so: the new version is kept
            assert (delete, update) == (409, UPDATED[door])
            assert kept is not None
            assert kept.title == "Changed meanwhile"


@pytest.mark.parametrize("door", DOORS)
def test_two_updates_of_one_post_one_wins(live: Live, writer: Writer, door: str) -> None:
    for _ in range(ROUNDS):
        post = fresh_post(live, writer)
        etag = live.send("GET", f"/api/v1/posts/{post.id}").headers["ETag"]
        if door == "v1":  # both name the version they read, as the API's clients do
            calls = [
                writer.v1("PATCH", f"/api/v1/posts/{post.id}", {"title": t}, **{"If-Match": etag})
                for t in ("First", "Second")
            ]
        else:  # the form carries the version it showed; RealWorld names none
            calls = [_update(writer, door, post, title) for title in ("First", "Second")]
        answers = statuses(race(*calls))
        refused = {"form": 409, "v1": 412, "realworld": 409}[door]
        kept = assert_whole(post.id)
        assert kept is not None
        if door == "realworld" and answers == [200, 200]:  # one after the other: last wins
            assert kept.version == post.version + 2
            continue
        assert sorted(answers) == sorted([UPDATED[door], refused]), answers
        assert kept.version == post.version + 1
        assert kept.title == ("First", "Second")[answers.index(UPDATED[door])]


def test_a_comment_racing_the_delete_of_its_post(live: Live, writer: Writer) -> None:
    for _ in range(ROUNDS):
        post = fresh_post(live, writer)
        comment, delete = statuses(
            race(
                writer.v1("POST", f"/api/v1/posts/{post.id}/comments", {"body": "Me first"}),
                writer.v1("DELETE", f"/api/v1/posts/{post.id}"),
            )
        )
        assert comment in {201, 404}
        assert delete == 204
        kept = assert_whole(post.id)  # in the trash, with the comment if it came first
        assert kept is not None
        assert kept.deleted_at is not None


def _register(live: Live, door: str, name: str) -> Callable[[], Answer]:
    """A registration of ``name`` through a door, ready to send: the site's form with its
    own visitor's cookie and CSRF token, or the RealWorld API."""
    fields = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    if door == "realworld":
        return lambda: live.send("POST", "/api/users", json_body={"user": fields})
    client = live.app.test_client()
    values = {**form_values(client, "/register"), **fields}
    cookie = client.get_cookie("session", domain=HOST)
    assert cookie is not None
    headers = {"Cookie": f"session={cookie.value}"}
    return lambda: live.send("POST", "/register", headers=headers, form=values)


@pytest.mark.parametrize("door", ["form", "realworld"])
def test_two_registrations_of_one_name_make_one_account(live: Live, door: str) -> None:
    made, refused = {"form": 302, "realworld": 201}[door], 422
    # The RealWorld API answers a registration with a token at once: only where
    # addresses need no confirmation (docs/api.md).
    site.configure(db.session, "email_confirmation", "off")
    for round_ in range(ROUNDS):
        name = f"twin{door}{round_}"
        answers = race(_register(live, door, name), _register(live, door, name))
        assert sorted(statuses(answers)) == sorted([made, refused])
        loser = answers[[a.status for a in answers].index(refused)]
        assert b"already registered" in loser.body or b"taken" in loser.body
        db.session.rollback()
        count = select(func.count()).select_from(User).where(User.username == name)
        assert db.session.scalar(count) == 1
