"""Background jobs (jobs.py): plain values only; inline without Redis, where a failure
is logged, never raised into the request that queued it."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from flask import Flask

from inkstand import jobs, runtime
from inkstand.extensions import db
from inkstand.jobs import JOB_RETRIES, InlineJobs, RQJobs
from inkstand.moving.jobs import queue_import

MAIL_JOB = "inkstand.comments.jobs.mail_post_author"


def test_without_redis_jobs_run_inline(app: Flask):
    assert isinstance(runtime.get().jobs, InlineJobs)


def test_with_redis_jobs_go_to_a_queue_of_the_app_s_own(rq_app: Flask):
    jobs = runtime.get().jobs
    assert isinstance(jobs, RQJobs)
    assert jobs.queue_name == rq_app.config["JOBS_QUEUE"]


def test_jobs_take_plain_values_only(app: Flask):
    with pytest.raises(TypeError, match="plain values"):
        runtime.get().jobs.enqueue(MAIL_JOB, db.session)


def test_an_inline_job_that_fails_is_logged_not_raised(
    app: Flask, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.ERROR, logger="inkstand.jobs"):
        runtime.get().jobs.enqueue("inkstand.no_such_module.job", 1)
    assert "job inkstand.no_such_module.job(1,) failed" in caplog.text


def test_jobs_run_again_unless_they_must_not(rq_app: Flask):
    """A job is retried when it fails or its worker dies; an import, which would write
    its posts twice, is not."""
    jobs = runtime.get().jobs
    assert isinstance(jobs, RQJobs)
    jobs.enqueue("inkstand.comments.jobs.mail_post_author", 1)
    queue_import(1)
    mail, imported = jobs.queue().get_jobs()
    assert mail.retries_left == JOB_RETRIES
    assert imported.func_name == "inkstand.moving.jobs.run_import"
    assert not imported.retries_left


def test_periodic_work_without_redis_runs_on_one_thread_and_outlives_a_failure():
    runs: list[str] = []
    ran = threading.Event()

    def work() -> None:
        runs.append("run")
        if len(runs) == 1:
            raise RuntimeError("a bad run")  # logged; the next run still comes
        ran.set()

    every = jobs.Every("test-work", 0.01, work, at_start=True)
    assert every.start_once()
    assert not every.start_once()  # once per process, however often it is asked
    assert every.start() is None  # a before-request hook: nothing taken for an answer
    assert ran.wait(5)
    assert [t.name for t in threading.enumerate()].count("every:test-work") == 1
    every.stop()  # and the thread is gone when it returns
    assert "every:test-work" not in [t.name for t in threading.enumerate()]
    assert not every.start_once()  # stopped for good in this process


def test_periodic_work_runs_again_in_a_process_forked_after_a_stop():
    every = jobs.Every("test-forked", 0.01, lambda: None, at_start=True)
    assert every.start_once()
    every.stop()
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its own thread, though the parent's was stopped
        ran = threading.Event()
        every.work = ran.set
        started = every.start_once()
        os.write(writing, b"yes" if started and ran.wait(5) else b"no")
        os._exit(0)
    os.close(writing)
    answer = os.read(reading, 3)
    os.close(reading)
    os.waitpid(child, 0)
    assert answer == b"yes"


def test_periodic_work_waits_its_interval_first_unless_asked_to_start_at_once():
    runs: list[int] = []
    later = jobs.Every("test-later", 3600, lambda: runs.append(1))
    later.start()
    time.sleep(0.05)
    later.stop()
    assert runs == []


def test_periodic_work_with_no_interval_starts_no_thread():
    never = jobs.Every("test-never", 0, lambda: None)
    never.start()
    assert "every:test-never" not in [t.name for t in threading.enumerate()]
