"""The RQ worker `inkstand worker` runs: each queued job in an app context of its own,
with links built on the site's URL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from inkstand import runtime, worker
from inkstand.jobs import JOB_RETRIES, MAINTENANCE_SECONDS, MONITOR_SECONDS, RQJobs
from tests.helpers import Factory, Outbox

MAIL_JOB = "inkstand.comments.jobs.mail_post_author"


def rq_jobs() -> RQJobs:
    jobs = runtime.get().jobs
    assert isinstance(jobs, RQJobs)
    return jobs


@dataclass(frozen=True)
class Queued:
    comment_id: int
    slug: str


@pytest.fixture
def queued(rq_app: Flask) -> Queued:
    """A reader's comment whose mail to the post's author waits in the queue."""
    factory = Factory(rq_app)
    writer = factory.user("author", "writer", email="writer@example.com")
    post = factory.post(writer, "Queued")
    comment = factory.comment(factory.user("reader", "rita"), post, "For the worker")
    rq_jobs().enqueue(MAIL_JOB, comment.id)
    assert rq_jobs().queue().count == 1
    return Queued(comment.id, post.slug)


@pytest.mark.parametrize("how", [["--simple"], []], ids=["in-process", "forking"])
def test_the_worker_command_runs_queued_jobs(rq_app: Flask, queued: Queued, how: list[str]):
    outbox = Outbox(rq_app)
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst", *how])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in outbox.messages()] == ["writer@example.com"]
    assert rq_jobs().queue().count == 0


def test_the_worker_command_explains_itself(app: Flask):
    runner = app.test_cli_runner()
    help_text = runner.invoke(args=["worker", "--help"])
    assert help_text.exit_code == 0
    assert "--burst" in help_text.output
    without_redis = runner.invoke(args=["worker", "--burst"])
    assert without_redis.exit_code == 1
    assert "INKSTAND_REDIS_URL is not set" in without_redis.output


def test_a_worker_builds_links_on_the_site_url(
    rq_app: Flask, queued: Queued, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(rq_app.config, "SITE_URL", "https://blog.example.com/")
    outbox = Outbox(rq_app)
    worker.make(rq_app, rq_jobs(), simple=True).work(burst=True)
    (mail,) = outbox.messages()
    body = mail.get_content()
    assert f"https://blog.example.com/posts/{queued.slug}#comment-{queued.comment_id}\n" in body
    assert "https://blog.example.com/settings\n" in body
    assert "inkstand.test" not in body


def test_the_worker_command_wants_the_site_url(rq_app: Flask, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(rq_app.config, "SERVER_NAME", None)
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "Set INKSTAND_SITE_URL" in result.output


def test_a_job_whose_worker_was_killed_under_it_runs_again_once(rq_app: Flask, queued: Queued):
    """A worker killed mid-job (SIGKILL, a lost machine) leaves its job in RQ's started
    registry; once its heartbeat lapses, the next worker's upkeep queues it again and it
    runs: the author gets her mail once, and nothing is left failed."""
    outbox = Outbox(rq_app)
    jobs = rq_jobs()
    queue = jobs.queue()
    killed = worker.make(rq_app, jobs, simple=True)
    killed.register_birth()
    found = queue.dequeue_any([queue], timeout=None, connection=jobs.connection)
    assert found is not None
    job, _ = found
    assert job.retries_left == JOB_RETRIES
    killed.prepare_execution(job)  # taken, and then the worker is gone without a word
    registry = queue.started_job_registry
    assert registry.count == 1
    for member in jobs.connection.zrange(registry.key, 0, -1):
        jobs.connection.zadd(registry.key, {member: 1})  # its heartbeat long lapsed
    killed.register_death()

    worker.make(rq_app, jobs, simple=True).work(burst=True)
    assert [m["To"] for m in outbox.messages()] == ["writer@example.com"]
    assert (queue.count, registry.count, queue.failed_job_registry.count) == (0, 0, 0)


def test_workers_look_for_abandoned_jobs_often(rq_app: Flask):
    made = worker.make(rq_app, rq_jobs(), simple=True)
    assert made.maintenance_interval == MAINTENANCE_SECONDS <= 60
    assert made.job_monitoring_interval == MONITOR_SECONDS
