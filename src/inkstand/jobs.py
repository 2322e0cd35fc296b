"""Background jobs: run in RQ workers when Redis is configured, otherwise inline;
``inkstand.backends`` makes the choice.

A job is a plain function named by its import path ("inkstand.comments.jobs.mail")
that takes only plain values (ids, strings): by the time it runs the rows may
have changed, so it reads them again. Jobs run inside an app context of their
own, with their own database session, in the worker as inline. Enqueue a job
only after the transaction it is about has committed.
"""

from __future__ import annotations

import logging
import math
import os
import pkgutil
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask

from inkstand.db import utcnow

if TYPE_CHECKING:  # rq is imported only where jobs go to Redis
    from rq import Queue

log = logging.getLogger(__name__)

Plain = int | str | float | bool | None
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
JOB_TIMEOUT = 60  # seconds; a mail job that takes longer is stuck
RESULT_TTL = 0  # jobs return nothing worth keeping
FAILURE_TTL = 7 * 24 * 3600  # failed jobs stay a week in the failed registry, for a look
# A job that fails, or whose worker died under it (killed, its machine lost), is queued
# again this many times before it goes to the failed registry. RQ runs a job at least
# once, so every job is written to be run again: it reads its rows afresh and does only
# what is still missing (a mail for a comment still shown, copies not yet written).
JOB_RETRIES = 3
# A worker tells Redis it is alive this often while it runs a job; a job whose worker
# stopped telling is taken as abandoned RQ's fixed 60 seconds after that.
MONITOR_SECONDS = 5
# How often a worker looks for jobs abandoned by dead workers and queues them again.
MAINTENANCE_SECONDS = 30


class Jobs(Protocol):
    def enqueue(
        self, path: str, *args: Plain, timeout: int = JOB_TIMEOUT, retries: int = JOB_RETRIES
    ) -> None:
        """Run the function at ``path`` with ``args`` in the background, stopped after
        ``timeout`` seconds (a long job, such as an import, says so), and run again up to
        ``retries`` times if it fails or its worker dies under it (0: a job that must not
        run twice). Never raises for a job that cannot be queued or fails: that is logged."""


def _check(path: str, args: tuple[Any, ...]) -> None:
    """A job takes plain values only; an ORM object would be stale when it runs."""
    if not all(isinstance(a, int | str | float | bool) or a is None for a in args):
        raise TypeError(f"job {path} takes only plain values (ids, strings), got {args!r}")


def perform(app: Flask, path: str, *args: Plain) -> None:
    """Run one job in an app context of its own: its own ``g`` and database session."""
    with app.app_context():
        pkgutil.resolve_name(path)(*args)


@dataclass(frozen=True)
class InlineJobs:
    """Runs each job at once, in the enqueuing process (no Redis configured)."""

    app: Flask

    def enqueue(
        self, path: str, *args: Plain, timeout: int = JOB_TIMEOUT, retries: int = JOB_RETRIES
    ) -> None:
        _check(path, args)
        try:
            perform(self.app, path, *args)
        except Exception:  # a job's failure is its own; the caller's work is done
            log.exception("job %s%r failed", path, args)


class RQJobs:
    """Puts each job on an RQ queue in Redis, for ``inkstand worker`` to run.

    RQ keeps its keys under ``rq:``; everything of one queue carries its name
    (the queue, its registries, the job ids and the workers' names start with
    it), so apps sharing a Redis stay apart by using different queue names.
    """

    def __init__(self, redis_url: str, queue_name: str) -> None:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.queue_name = queue_name
        # Connects on first use, in each process (redis-py starts afresh after a fork).
        # A Redis that is down fails an enqueue at once (one retry, no pauses): the
        # request that queues the job does not wait for it.
        self.connection = Redis.from_url(
            redis_url, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1)
        )

    def queue(self) -> Queue:
        from rq import Queue
        from rq.serializers import JSONSerializer

        return Queue(
            self.queue_name, connection=self.connection, default_timeout=JOB_TIMEOUT,
            serializer=JSONSerializer,
        )  # fmt: skip

    def depth(self) -> tuple[int, int]:
        """Jobs waiting on the queue, and failed jobs RQ keeps."""
        queue = self.queue()
        return queue.count, queue.failed_job_registry.count

    def enqueue(
        self, path: str, *args: Plain, timeout: int = JOB_TIMEOUT, retries: int = JOB_RETRIES
    ) -> None:
        from redis import RedisError
        from rq import Retry

        _check(path, args)
        try:
            self.queue().enqueue_call(
                path, args, job_id=f"{self.queue_name}-{uuid.uuid4().hex}",
                result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL, timeout=timeout,
                retry=Retry(max=retries) if retries else None,
            )  # fmt: skip
        except RedisError:
            log.exception("job %s%r not queued: Redis is unreachable", path, args)

    def schedule(self, path: str, at: datetime, key: str) -> None:
        """Have RQ's scheduler (a worker started ``--with-scheduler``) queue the job at
        ``path`` at ``at``. Jobs scheduled under the same ``key`` are one: scheduling
        again only moves it, so any number of processes may schedule the same run."""
        from redis import RedisError

        try:
            self.queue().enqueue_at(
                at, path, job_id=f"{self.queue_name}-{key}", result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
            )  # fmt: skip
        except RedisError:
            log.exception("job %s not scheduled: Redis is unreachable", path)


# Periodic work (the trash purge, the analytics flush, the newsletter sweep) runs on RQ's
# scheduler when Redis is configured, each run scheduling the next; without Redis, on a
# thread of each app process. Both are here, once.


def schedule_next(jobs: Jobs, path: str, interval: float, name: str) -> bool:
    """Schedule the job at ``path`` at the next multiple of ``interval`` seconds, under a
    key naming that moment, so that every process scheduling it schedules one run.
    False when there is nothing to schedule on (jobs run inline, or no interval)."""
    if not isinstance(jobs, RQJobs) or interval <= 0:
        return False
    slot = math.floor(utcnow().timestamp() / interval) + 1
    jobs.schedule(path, datetime.fromtimestamp(slot * interval, UTC), f"{name}-{slot}")
    return True


THREAD_PREFIX = "every:"  # names every periodic thread, so that they can be found


class Every:
    """Without Redis, ``work`` runs on a daemon thread of each process every
    ``interval`` seconds (first at once when ``at_start``). ``start`` is safe to call
    on every request: it starts the thread once per process, again in a forked child.
    An ``interval`` of 0 or less starts nothing."""

    def __init__(
        self, name: str, interval: float, work: Callable[[], object], *, at_start: bool = False
    ) -> None:
        self.name, self.interval, self.work, self.at_start = name, interval, work, at_start
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start this process's thread unless it runs already. A before-request hook,
        so it returns nothing (anything else would be taken for the answer)."""
        self.start_once()

    def start_once(self) -> bool:
        """``start``, and True for the one call, in each process, that started it."""
        if self._pid == os.getpid() or self.interval <= 0:
            return False
        with self._lock:
            if self._pid == os.getpid():
                return False
            self._pid = os.getpid()
            self._stop = threading.Event()  # a child forked after a stop runs again
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name=THREAD_PREFIX + self.name,
                daemon=True,
            )  # fmt: skip
            self._thread.start()
            return True

    def _run(self, stop: threading.Event) -> None:
        if not self.at_start and stop.wait(self.interval):
            return
        while not stop.is_set():
            try:
                self.work()
            except Exception:  # the thread outlives a failed run; the next one retries
                log.exception("%s failed", self.name)
            stop.wait(self.interval)

    def stop(self, timeout: float = 10) -> None:
        """Stop the thread, waiting up to ``timeout`` seconds for a run under way."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
