"""Live comments: the events every public change writes, the SSE stream with
Last-Event-ID, long polling, and posting in the background (JSON answers)."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from inkstand.accounts.models import User
from inkstand.blog.models import Post, Status
from inkstand.comments import services
from inkstand.comments.models import Comment, CommentEvent
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import (
    Factory,
    SendComment,
    change,
    comment_form,
    login,
    need_service,
    separate_app,
)

WAIT = 5.0  # seconds a test waits for something that should come at once


def kinds(post: Post) -> list[tuple[str, int]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(CommentEvent).where(CommentEvent.post_id == post.id).order_by(CommentEvent.id)
    )
    return [(e.kind, e.comment_id) for e in rows]


def last_event(post: Post) -> int:
    return max((e.id for e in db.session.scalars(select(CommentEvent))), default=0)


def read_events(body: str) -> list[tuple[int, dict[str, Any]]]:
    """The events of an SSE body: (id, data) pairs."""
    found = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            found.append((int(fields["id"]), json.loads(fields["data"])))
    return found


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    return {
        "admin": factory.user("admin", "boss"),
        "writer": factory.user("author", "writer"),
        "carl": factory.user("reader", "carl"),
        "dora": factory.user("reader", "dora"),
    }


@pytest.fixture
def post(factory: Factory, people: dict[str, User]) -> Post:
    return factory.post(people["writer"], "Talk to me")


# --- Events written with each public change -----------------------------------


def test_an_approved_comment_writes_an_added_event(
    factory: Factory, people: dict[str, User], post: Post
) -> None:
    comment = factory.comment(people["carl"], post)
    assert kinds(post) == [("added", comment.id)]


def test_a_held_comment_writes_nothing_until_approved(
    factory: Factory, people: dict[str, User], post: Post
) -> None:
    held = factory.comment(people["carl"], post, policy="hold_all")
    assert kinds(post) == []
    services.moderate(db.session, people["writer"], [held.id], "approve")
    assert kinds(post) == [("added", held.id)]


def test_edits_deletes_and_spam_write_their_events(
    factory: Factory, people: dict[str, User], post: Post
) -> None:
    now = utcnow()
    lone = factory.comment(people["carl"], post, now=now)
    parent = factory.comment(people["dora"], post, now=now)
    reply = factory.comment(people["carl"], post, parent=parent, now=now)
    spam = factory.comment(people["dora"], post, now=now)
    rules = services.SpamRules(min_seconds=0, max_links=3)
    services.edit_comment(db.session, people["carl"], lone.id, "Second thoughts.", now, rules)
    services.delete_comment(db.session, people["carl"], lone.id, now)  # gone for good
    services.delete_comment(db.session, people["dora"], parent.id, now)  # kept for its reply
    services.moderate(db.session, people["admin"], [spam.id], "spam")
    assert kinds(post)[4:] == [
        ("edited", lone.id),
        ("removed", lone.id),
        ("removed", parent.id),
        ("removed", spam.id),
    ]
    assert db.session.get(Comment, lone.id) is None
    assert reply.id in {c for _, c in kinds(post)}


def test_deleting_a_held_comment_writes_nothing(
    factory: Factory, people: dict[str, User], post: Post
) -> None:
    held = factory.comment(people["carl"], post, policy="hold_all")
    services.moderate(db.session, people["writer"], [held.id], "delete")
    assert kinds(post) == []


def test_a_rolled_back_change_leaves_no_event(
    factory: Factory, people: dict[str, User], post: Post
) -> None:
    comment = factory.comment(people["carl"], post)
    stored = db.session.get(Comment, comment.id)
    assert stored is not None
    stored.status = "spam"
    db.session.flush()
    db.session.rollback()
    assert kinds(post) == [("added", comment.id)]
    assert "inkstand.comment_events" not in db.session.info


# --- The stream and the long poll, replaying what a reader missed -------------


@pytest.fixture
def replay_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An app whose streams end as soon as they have sent what there is."""
    with separate_app(tmp_path, database_url, LIVE_STREAM_SECONDS=0, LIVE_POLL_SECONDS=0) as app:
        yield app


def thread_of(app: Flask) -> tuple[Post, list[Comment], dict[str, User]]:
    factory = Factory(app)
    people = {"writer": factory.user("author", "writer"), "carl": factory.user("reader", "carl")}
    post = factory.post(people["writer"], "Talk to me")
    comments = [factory.comment(people["carl"], post, f"Comment {n}") for n in range(3)]
    return post, comments, people


def test_the_stream_sends_every_event_after_the_one_given(replay_app: Flask) -> None:
    post, comments, _ = thread_of(replay_app)
    client = replay_app.test_client()
    response = client.get(f"/posts/{post.id}/comments/stream?after=0")
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert body.startswith("retry: ")
    sent = read_events(body)
    assert [data["id"] for _, data in sent] == [c.id for c in comments]
    assert [data["kind"] for _, data in sent] == ["added"] * 3
    assert "Comment 1" in sent[1][1]["html"]
    ids = [event_id for event_id, _ in sent]
    assert ids == sorted(ids)


def test_a_reconnecting_reader_gets_exactly_what_it_missed(replay_app: Flask) -> None:
    """Last-Event-ID wins over the page's ``after``: nothing lost, nothing twice."""
    post, comments, _ = thread_of(replay_app)
    client = replay_app.test_client()
    first = read_events(client.get(f"/posts/{post.id}/comments/stream?after=0").get_data(True))
    resumed = client.get(
        f"/posts/{post.id}/comments/stream?after=0", headers={"Last-Event-ID": str(first[0][0])}
    )
    again = read_events(resumed.get_data(as_text=True))
    assert [data["id"] for _, data in again] == [c.id for c in comments[1:]]
    assert again == first[1:]


def test_what_was_removed_is_never_sent_again(replay_app: Flask) -> None:
    post, comments, _ = thread_of(replay_app)
    admin = Factory(replay_app).user("admin", "boss")
    services.moderate(db.session, admin, [comments[0].id], "spam")
    body = replay_app.test_client().get(f"/posts/{post.id}/comments/stream").get_data(True)
    sent = read_events(body)
    gone = [data for _, data in sent if data["id"] == comments[0].id]
    assert [data["kind"] for data in gone] == ["removed", "removed"]
    assert all(data["html"] is None for data in gone)
    assert "Comment 0" not in body


def test_held_comments_never_reach_the_stream(replay_app: Flask) -> None:
    post, _, people = thread_of(replay_app)
    Factory(replay_app).comment(people["carl"], post, "Held back", policy="hold_all")
    body = replay_app.test_client().get(f"/posts/{post.id}/comments/stream").get_data(True)
    assert len(read_events(body)) == 3
    assert "Held back" not in body


def test_a_stream_reads_the_same_number_of_queries_for_1_or_30_events(
    replay_app: Flask,
) -> None:
    from sqlalchemy import event as sa_event

    post, _, people = thread_of(replay_app)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    def count(after: int) -> int:
        statements.clear()
        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            replay_app.test_client().get(f"/posts/{post.id}/comments/stream?after={after}")
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    few = count(last_event(post) - 1)
    for n in range(27):
        Factory(replay_app).comment(people["carl"], post, f"More {n}")
    assert count(0) == few


def test_the_long_poll_answers_at_once_when_there_is_news(replay_app: Flask) -> None:
    post, comments, _ = thread_of(replay_app)
    response = replay_app.test_client().get(f"/posts/{post.id}/comments/updates?after=0")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert [e["id"] for e in data["events"]] == [c.id for c in comments]
    assert data["last"] == data["events"][-1]["event"]


def test_the_long_poll_answers_empty_when_nothing_comes(replay_app: Flask) -> None:
    post, _, _ = thread_of(replay_app)
    last = last_event(post)
    data = replay_app.test_client().get(f"/posts/{post.id}/comments/updates?after={last}")
    assert data.get_json() == {"events": [], "last": last}


@pytest.mark.parametrize("after", ["-1", "x", "1.5", "99999999999999999999", "", "²", "٣"])
@pytest.mark.parametrize("door", ["stream", "updates"])
def test_a_bad_event_id_is_refused(replay_app: Flask, door: str, after: str) -> None:
    post, _, _ = thread_of(replay_app)
    response = replay_app.test_client().get(f"/posts/{post.id}/comments/{door}?after={after}")
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("door", ["stream", "updates"])
def test_drafts_and_missing_posts_have_no_stream(replay_app: Flask, door: str) -> None:
    factory = Factory(replay_app)
    writer = factory.user("author", "writer")
    draft = factory.post(writer, "Not yet", status=Status.DRAFT.value)
    client = replay_app.test_client()
    assert client.get(f"/posts/{draft.id}/comments/{door}").status_code == 404
    assert client.get(f"/posts/99999/comments/{door}").status_code == 404
    assert client.get(f"/posts/0/comments/{door}").status_code == 404
    login(client, writer)
    assert client.get(f"/posts/{draft.id}/comments/{door}").status_code == 200


def test_the_stream_draws_a_comment_as_its_viewer_sees_it(replay_app: Flask) -> None:
    """Its writer gets her Edit link on her own comment; others do not."""
    post, _, people = thread_of(replay_app)
    url = f"/posts/{post.id}/comments/stream?after={last_event(post) - 1}"
    anonymous = read_events(replay_app.test_client().get(url).get_data(True))
    assert "Edit</a>" not in anonymous[0][1]["html"]
    carl = replay_app.test_client()
    login(carl, people["carl"])
    own = read_events(carl.get(url).get_data(True))
    assert "Edit</a>" in own[0][1]["html"]


def test_an_event_never_shows_a_comment_of_another_post(replay_app: Flask) -> None:
    """SQLite may give a new comment the id of a deleted one: an old event of one
    post must not show a comment that now has its id on another post."""
    post, _, people = thread_of(replay_app)
    other = Factory(replay_app).post(people["writer"], "Somewhere else")
    elsewhere = Factory(replay_app).comment(people["carl"], other, "Not for this thread")
    db.session.add(CommentEvent(post_id=post.id, comment_id=elsewhere.id, kind="added"))
    db.session.commit()
    body = replay_app.test_client().get(f"/posts/{post.id}/comments/stream").get_data(True)
    assert "Not for this thread" not in body
    assert read_events(body)[-1][1] == {
        "id": elsewhere.id, "kind": "removed", "parent": None, "html": None,
    }  # fmt: skip


@pytest.mark.parametrize("door", ["stream", "updates"])
def test_a_process_full_of_live_readers_asks_new_ones_to_come_back(
    replay_app: Flask, door: str
) -> None:
    post, _, _ = thread_of(replay_app)
    replay_app.config["LIVE_READERS_MAX"] = 0
    response = replay_app.test_client().get(f"/posts/{post.id}/comments/{door}")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 30


def test_live_readers_are_rate_limited_per_address(replay_app: Flask) -> None:
    post, _, _ = thread_of(replay_app)
    replay_app.config["LIVE_LIMITS_PER_ADDRESS"] = "3 per minute"
    client = replay_app.test_client()
    answers = [client.get(f"/posts/{post.id}/comments/updates").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


# --- Live: a comment reaches a stream that is already open --------------------


@pytest.fixture(params=["local", "redis"])
def live_app(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An app whose streams stay open, on the in-process bus or on Redis."""
    settings: dict[str, Any] = {"LIVE_STREAM_SECONDS": 30, "LIVE_HEARTBEAT_SECONDS": 30}
    if request.param == "redis":
        settings["REDIS_URL"] = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        settings["REDIS_PREFIX"] = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    with separate_app(tmp_path, database_url, **settings) as app:
        yield app
        app.extensions["inkstand.events"].close()


class Reader(threading.Thread):
    """Reads one open stream in the background, as a server's worker thread would:
    the thread that makes the response also reads it."""

    def __init__(self, client: FlaskClient, url: str) -> None:
        super().__init__(daemon=True)
        self.client, self.url = client, url
        self.text = ""
        self.opened = threading.Event()
        self.done = threading.Event()
        self.changed = threading.Condition()

    def run(self) -> None:
        response = self.client.get(self.url, buffered=False)
        try:
            for chunk in response.response:
                with self.changed:
                    self.text += chunk.decode() if isinstance(chunk, bytes) else chunk
                    self.opened.set()
                    self.changed.notify_all()
                if self.done.is_set():
                    break
        finally:
            response.close()

    def wait_for(self, pattern: str) -> bool:
        ends = time.monotonic() + WAIT
        with self.changed:
            while not re.search(pattern, self.text):
                left = ends - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True


def test_a_new_comment_reaches_an_open_stream_at_once(live_app: Flask) -> None:
    factory = Factory(live_app)
    writer, carl = factory.user("author", "writer"), factory.user("reader", "carl")
    post = factory.post(writer, "Talk to me")
    reader = Reader(live_app.test_client(), f"/posts/{post.id}/comments/stream")
    reader.start()
    try:
        assert reader.opened.wait(WAIT)
        started = time.monotonic()
        comment = factory.comment(carl, post, "Hello, live world")
        assert reader.wait_for("Hello, live world"), reader.text
        assert time.monotonic() - started < 2
        assert f'"id": {comment.id}' in reader.text
    finally:
        reader.done.set()


def test_a_stream_ends_when_its_post_goes_back_to_draft(live_app: Flask) -> None:
    live_app.config["LIVE_HEARTBEAT_SECONDS"] = 0.2
    factory = Factory(live_app)
    writer = factory.user("author", "writer")
    post = factory.post(writer, "Talk to me")
    reader = Reader(live_app.test_client(), f"/posts/{post.id}/comments/stream")
    reader.start()
    assert reader.opened.wait(WAIT)
    change(post, writer, status=Status.DRAFT.value)
    reader.join(WAIT)
    assert not reader.is_alive()


def test_a_waiting_long_poll_returns_when_a_comment_comes(live_app: Flask) -> None:
    live_app.config["LIVE_POLL_SECONDS"] = 30
    factory = Factory(live_app)
    writer, carl = factory.user("author", "writer"), factory.user("reader", "carl")
    post = factory.post(writer, "Talk to me")
    answer: dict[str, Any] = {}

    def poll() -> None:
        response = live_app.test_client().get(f"/posts/{post.id}/comments/updates?after=0")
        answer.update(response.get_json())

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(0.3)  # let it start waiting
    started = time.monotonic()
    factory.comment(carl, post, "Worth the wait")
    poller.join(WAIT)
    assert not poller.is_alive()
    assert time.monotonic() - started < 2
    assert "Worth the wait" in answer["events"][0]["html"]


# --- Posting in the background: JSON answers for the page's script -----------


def test_a_comment_posted_by_script_comes_back_as_json(
    client: FlaskClient, people: dict[str, User], post: Post
) -> None:
    """The site holds a newcomer's first comment (the default policy), then
    lets her comments through once one is approved."""
    login(client, people["carl"])

    def post_by_script(body: str) -> dict[str, Any]:
        page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
        action, fields = comment_form(page)
        response = client.post(
            action,
            data={**fields, "body": body, "website": ""},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 201
        data: dict[str, Any] = response.get_json()
        return data

    first = post_by_script("Posted *quietly*")
    assert (first["status"], first["parent"]) == ("pending", None)
    assert "<em>quietly</em>" in first["html"]
    assert "Awaiting approval" in first["html"]
    assert first["message"] == "Your comment awaits approval."
    services.moderate(db.session, people["writer"], [first["id"]], "approve")

    second = post_by_script("And again")
    assert second["status"] == "approved"
    assert "Edit</a>" in second["html"]
    assert "Awaiting approval" not in second["html"]
    assert second["message"] == "Your comment is posted."


def test_a_refused_comment_by_script_gets_its_errors_as_json(
    client: FlaskClient, people: dict[str, User], post: Post
) -> None:
    login(client, people["carl"])
    action, fields = comment_form(client.get(f"/posts/{post.slug}").get_data(as_text=True))
    response = client.post(
        action, data={**fields, "body": "", "website": ""}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    data = response.get_json()
    assert data["errors"]["body"]
    assert db.session.scalar(select(Comment.id)) is None


def test_a_browser_without_script_still_gets_pages(
    send_comment: SendComment, client: FlaskClient, people: dict[str, User], post: Post
) -> None:
    login(client, people["carl"])
    response = send_comment(f"/posts/{post.slug}", "Plain and simple")
    assert response.status_code == 302
    assert send_comment(f"/posts/{post.slug}", "").status_code == 422


def test_the_post_page_tells_its_script_where_to_start(
    client: FlaskClient, factory: Factory, people: dict[str, User], post: Post
) -> None:
    factory.comment(people["carl"], post)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'data-last-event="{last_event(post)}"' in page
    assert f'data-stream="/posts/{post.id}/comments/stream"' in page
    assert "js/comments." in page
