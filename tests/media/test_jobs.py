"""The smaller copies of an image: queued in Redis for a worker, or made inline."""

from __future__ import annotations

import io
import shutil

from flask import Flask
from sqlalchemy import select

from inkstand import runtime, worker
from inkstand.extensions import db
from inkstand.jobs import RQJobs
from inkstand.media import context
from inkstand.media.models import Media
from tests.helpers import Factory, csrf_token, image_bytes, login


def test_with_redis_the_variants_are_made_by_a_worker(rq_app: Flask):
    storage = context.storage()
    try:
        client = rq_app.test_client()
        login(client, Factory(rq_app).user())
        token = csrf_token(client, "/media/library")
        data = {
            "csrf_token": token,
            "image": (io.BytesIO(image_bytes("JPEG", (1000, 500))), "a.jpg"),
        }
        assert client.post("/media/upload", data=data).status_code == 302
        media = db.session.scalars(select(Media)).one()
        jobs = runtime.get().jobs
        assert isinstance(jobs, RQJobs)
        (job,) = jobs.queue().get_jobs()
        assert (job.func_name, job.args) == ("inkstand.media.jobs.make_variants", [media.id])
        assert not storage.exists(media.variant_name(480))  # not made yet

        assert worker.make(rq_app, jobs, simple=True).work(burst=True)
        assert storage.exists(media.variant_name(480))
        assert storage.exists(media.variant_name(960))
        assert len(jobs.queue().failed_job_registry) == 0
    finally:
        shutil.rmtree(storage.root, ignore_errors=True)  # type: ignore[attr-defined]
