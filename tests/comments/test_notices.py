"""The post's author is mailed of a new comment: by a job run inline without Redis,
or by an RQ worker with it; never about her own comments, nor when she turned the
mails off, nor about a comment gone before the job ran."""

from __future__ import annotations

import dataclasses
import logging
import socket

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from inkstand import runtime, worker
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments import jobs as comment_jobs
from inkstand.comments import services
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.jobs import InlineJobs, RQJobs
from inkstand.site import services as site
from tests.helpers import (
    Factory,
    Outbox,
    SendComment,
    comment_form,
    login,
)

MAIL_JOB = "inkstand.comments.jobs.mail_post_author"


@pytest.fixture
def outbox(app: Flask) -> Outbox:
    return Outbox(app)


@dataclasses.dataclass
class Scene:
    writer: User
    reader: User
    post: Post


@pytest.fixture
def scene(factory: Factory) -> Scene:
    writer = factory.user("author", "writer", email="writer@example.com")
    reader = factory.user("reader", "rita")
    set_policy(factory, "open")
    return Scene(writer, reader, factory.post(writer, "Tea & <Cake>"))


def set_policy(factory: Factory, policy: str) -> None:
    site.update(db.session, factory.user("admin"), comment_policy=policy)


def opt_out(user: User) -> None:
    db.session.execute(update(User).where(User.id == user.id).values(notify_comments=False))
    db.session.commit()


def comment_as(
    author: User, post: Post, body: str, *, parent: Comment | None = None, policy: str = "open"
) -> Comment:
    """Post a comment through the service as the HTML door does, with its notifier."""
    data = services.CommentInput(body=body, parent_id=parent.id if parent else None)
    return services.post_comment(
        db.session, author, post.id, data, utcnow(), policy, services.SpamRules(min_seconds=0),
        notify=comment_jobs.notify_post_author,
    )  # fmt: skip


def newest_comment() -> Comment:
    db.session.expire_all()
    comment = db.session.scalar(db.select(Comment).order_by(Comment.id.desc()).limit(1))
    assert comment is not None
    return comment


# Inline: no Redis configured, the job runs as the comment is posted.


def test_a_reader_s_comment_is_mailed_to_the_post_s_author(
    client: FlaskClient, scene: Scene, outbox: Outbox, send_comment: SendComment
):
    assert isinstance(runtime.get().jobs, InlineJobs)
    login(client, scene.reader)
    response = send_comment(f"/posts/{scene.post.slug}", "Lovely **cake**.\n\nSecond line.")
    assert response.status_code == 302
    comment = newest_comment()
    (mail,) = outbox.messages()
    body = mail.get_content()
    assert mail["To"] == "writer@example.com"
    assert mail["Subject"] == "rita commented on “Tea & <Cake>”"
    assert mail.get_body(("plain",)).get_content_type() == "text/plain"
    assert body.startswith("Hello writer,\n")
    assert "rita commented on your post “Tea & <Cake>”:" in body
    assert "    Lovely **cake**. Second line.\n" in body  # the text as written, one line
    assert f"http://inkstand.test/posts/{scene.post.slug}#comment-{comment.id}" in body
    assert "http://inkstand.test/settings" in body
    assert "/moderation" not in body


def test_her_own_comment_is_not_mailed_to_her(
    client: FlaskClient, scene: Scene, outbox: Outbox, send_comment: SendComment
):
    login(client, scene.writer)
    assert send_comment(f"/posts/{scene.post.slug}", "Thanks for reading.").status_code == 302
    assert outbox.messages() == []


def test_no_mail_when_she_turned_them_off(
    client: FlaskClient, scene: Scene, outbox: Outbox, send_comment: SendComment
):
    opt_out(scene.writer)
    login(client, scene.reader)
    assert send_comment(f"/posts/{scene.post.slug}", "Nobody is told.").status_code == 302
    assert newest_comment().body_source == "Nobody is told."
    assert outbox.messages() == []


def test_a_held_comment_s_mail_points_to_the_moderation_queue(
    client: FlaskClient, factory: Factory, scene: Scene, outbox: Outbox, send_comment: SendComment
):
    set_policy(factory, "hold_all")
    login(client, scene.reader)
    assert send_comment(f"/posts/{scene.post.slug}", "Please approve me.").status_code == 302
    assert newest_comment().status == "pending"
    (mail,) = outbox.messages()
    body = mail.get_content()
    assert mail["Subject"] == "A comment on “Tea & <Cake>” awaits your approval"
    assert "http://inkstand.test/moderation" in body
    assert "#comment-" not in body
    assert "Please approve me." in body


def test_a_held_comment_on_a_reader_s_post_names_no_queue_she_cannot_open(
    app: Flask, factory: Factory, outbox: Outbox
):
    writer = factory.user("author", "former")
    post = factory.post(writer, "Old post")
    writer.role = "reader"  # demoted since she wrote it
    db.session.commit()
    comment_as(factory.user("reader"), post, "Held here", policy="hold_all")
    (mail,) = outbox.messages()
    assert "/moderation" not in mail.get_content()
    assert "An editor will approve it" in mail.get_content()
    assert "Held here" not in mail.get_content()  # she may not see it on the site either


def test_the_mail_quotes_a_long_comment_shortened_and_keeps_headers_on_one_line(
    factory: Factory, scene: Scene, outbox: Outbox
):
    sly = factory.user("reader", "sly")
    sly.display_name = "Sly\nBcc: victim@example.com"
    db.session.commit()
    comment_as(sly, scene.post, "<script>alert(1)</script> " + "word " * 200)
    (mail,) = outbox.messages()
    assert mail["Bcc"] is None
    assert mail["To"] == "writer@example.com"
    assert mail["Subject"] == "Sly Bcc: victim@example.com commented on “Tea & <Cake>”"
    quote = next(line for line in mail.get_content().splitlines() if "<script>" in line)
    assert quote.endswith("word…")
    assert len(quote.strip()) <= 300


def test_a_reply_mails_the_post_s_author_not_the_parent_s_writer(
    factory: Factory, scene: Scene, outbox: Outbox
):
    top = comment_as(scene.reader, scene.post, "First")
    assert len(outbox.messages()) == 1
    comment_as(factory.user("reader", "ron"), scene.post, "A reply", parent=top)
    assert [m["To"] for m in outbox.messages()] == ["writer@example.com"] * 2


def test_a_mail_server_failure_is_logged_and_the_comment_is_posted(
    app: Flask, client: FlaskClient, scene: Scene, send_comment: SendComment,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    with socket.socket() as closed:  # a loopback port with nobody listening
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    current = runtime.get()
    no_smtp = dataclasses.replace(current.mailer, server="127.0.0.1", port=port, use_tls=False)
    monkeypatch.setitem(app.extensions, "inkstand", dataclasses.replace(current, mailer=no_smtp))
    login(client, scene.reader)
    with caplog.at_level(logging.ERROR, logger="inkstand.jobs"):
        response = send_comment(f"/posts/{scene.post.slug}", "Posted all the same.")
    assert response.status_code == 302
    assert newest_comment().body_source == "Posted all the same."
    assert f"job {MAIL_JOB}" in caplog.text
    assert "ConnectionRefusedError" in caplog.text


@pytest.mark.parametrize("gone", ["deleted", "spam", "opted out"])
def test_a_job_finding_the_comment_gone_or_unwanted_sends_nothing(
    app: Flask, factory: Factory, scene: Scene, outbox: Outbox, gone: str
):
    comment = factory.comment(scene.reader, scene.post, "Soon gone")  # no notifier: no mail
    if gone == "deleted":
        services.delete_comment(db.session, scene.reader, comment.id, comment.created_at)
    elif gone == "spam":
        services.moderate(db.session, scene.writer, [comment.id], "spam")
    else:
        opt_out(scene.writer)
    comment_jobs.mail_post_author(comment.id)
    assert outbox.messages() == []


def test_the_job_mails_a_comment_still_there(factory: Factory, scene: Scene, outbox: Outbox):
    comment = factory.comment(scene.reader, scene.post, "Still here")  # no notifier: no mail
    assert outbox.messages() == []
    comment_jobs.mail_post_author(comment.id)
    assert [m["To"] for m in outbox.messages()] == ["writer@example.com"]


@pytest.mark.parametrize("bad_id", [0, -1, 2**63])
def test_the_job_ignores_ids_that_cannot_be(app: Flask, outbox: Outbox, bad_id: int):
    comment_jobs.mail_post_author(bad_id)
    assert outbox.messages() == []


def test_services_without_a_notifier_mail_nobody(factory: Factory, scene: Scene, outbox: Outbox):
    data = services.CommentInput(body="Through a door that tells nobody")
    rules = services.SpamRules(min_seconds=0)
    now = scene.post.published_at
    assert now is not None
    services.post_comment(db.session, scene.reader, scene.post.id, data, now, "open", rules)
    assert outbox.messages() == []


# With Redis: jobs go to an RQ queue and an RQ worker runs them.


@pytest.fixture
def rq_scene(rq_app: Flask) -> Scene:
    factory = Factory(rq_app)
    writer = factory.user("author", "writer", email="writer@example.com")
    set_policy(factory, "open")
    return Scene(writer, factory.user("reader", "rita"), factory.post(writer, "Queued"))


def rq_jobs() -> RQJobs:
    jobs = runtime.get().jobs
    assert isinstance(jobs, RQJobs)
    return jobs


def post_through_the_form(app: Flask, scene: Scene, body: str) -> int:
    client = app.test_client()
    login(client, scene.reader)
    action, fields = comment_form(client.get(f"/posts/{scene.post.slug}").get_data(as_text=True))
    response = client.post(action, data={**fields, "body": body, "website": ""})
    assert response.status_code == 302
    return newest_comment().id


def test_with_redis_the_mail_is_queued_then_sent_by_a_worker(rq_app: Flask, rq_scene: Scene):
    outbox = Outbox(rq_app)
    comment_id = post_through_the_form(rq_app, rq_scene, "Queued words")
    queue = rq_jobs().queue()
    (job,) = queue.get_jobs()
    assert job.func_name == MAIL_JOB
    assert job.args == [comment_id]
    assert job.id.startswith(rq_app.config["JOBS_QUEUE"])
    assert outbox.messages() == []  # not sent yet

    assert worker.make(rq_app, rq_jobs(), simple=True).work(burst=True)
    assert queue.count == 0
    (mail,) = outbox.messages()
    assert mail["To"] == "writer@example.com"
    assert f"/posts/{rq_scene.post.slug}#comment-{comment_id}" in mail.get_content()
    assert len(queue.failed_job_registry) == 0


def test_with_redis_a_comment_deleted_before_the_job_ran_is_not_mailed(
    rq_app: Flask, rq_scene: Scene
):
    outbox = Outbox(rq_app)
    comment_id = post_through_the_form(rq_app, rq_scene, "Regretted at once")
    comment = db.session.get(Comment, comment_id)
    assert comment is not None
    services.delete_comment(db.session, rq_scene.reader, comment_id, comment.created_at)
    assert rq_jobs().queue().count == 1
    worker.make(rq_app, rq_jobs(), simple=True).work(burst=True)
    assert outbox.messages() == []
    assert len(rq_jobs().queue().failed_job_registry) == 0


def test_with_redis_opt_out_and_own_comments_queue_nothing(rq_app: Flask, rq_scene: Scene):
    comment_as(rq_scene.writer, rq_scene.post, "My own")
    opt_out(rq_scene.writer)
    comment_as(rq_scene.reader, rq_scene.post, "Not wanted")
    assert rq_jobs().queue().count == 0


def test_with_redis_unreachable_the_comment_is_posted_and_the_failure_logged(
    rq_app: Flask, rq_scene: Scene, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):  # fmt: skip
    dead = RQJobs("redis://127.0.0.1:1/0", rq_app.config["JOBS_QUEUE"])
    current = runtime.get()
    monkeypatch.setitem(rq_app.extensions, "inkstand", dataclasses.replace(current, jobs=dead))
    with caplog.at_level(logging.ERROR, logger="inkstand.jobs"):
        post_through_the_form(rq_app, rq_scene, "Redis is down")
    monkeypatch.setitem(rq_app.extensions, "inkstand", current)
    assert newest_comment().body_source == "Redis is down"
    assert "not queued: Redis is unreachable" in caplog.text
