"""RQ workers that run Inkstand's jobs, each job in an app context of its own.

Imported only by ``inkstand worker`` (and tests), so app processes never load RQ's
worker machinery.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue
from rq.worker import BaseWorker

from inkstand.extensions import db
from inkstand.jobs import MAINTENANCE_SECONDS, MONITOR_SECONDS, RQJobs


class _InAppContext:
    """Runs every job inside a fresh app context of ``app``: its own ``g`` and session."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue) -> bool:
        with self.app.app_context():
            if getattr(self, "is_horse", False):
                # A forked work horse must not reuse the parent's pooled connections.
                db.engine.dispose(close=False)
            done: bool = super().perform_job(job, queue)  # type: ignore[misc]
            return done


class AppWorker(_InAppContext, Worker):
    """Forks a work horse per job: a job that crashes or hangs cannot take the worker."""


class AppSimpleWorker(_InAppContext, SimpleWorker):
    """Runs jobs in its own process (tests, and platforms without fork)."""


def make(app: Flask, jobs: RQJobs, *, simple: bool = False, **options: Any) -> BaseWorker:
    """A worker for the app's queue; its name starts with the queue's. It queues again,
    within about ``MAINTENANCE_SECONDS`` + ``MONITOR_SECONDS`` + 60 seconds, a job whose
    worker died under it (RQ's own default is up to ten minutes and a half)."""
    queue = jobs.queue()
    worker_class = AppSimpleWorker if simple else AppWorker
    options = {"job_monitoring_interval": MONITOR_SECONDS,
               "maintenance_interval": MAINTENANCE_SECONDS, **options}  # fmt: skip
    worker: BaseWorker = worker_class(
        [queue], name=f"{jobs.queue_name}-{uuid.uuid4().hex[:12]}",
        connection=jobs.connection, serializer=queue.serializer, **options,
    )  # fmt: skip
    worker.app = app  # type: ignore[attr-defined]
    return worker
