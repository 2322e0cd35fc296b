"""The admin page of export and import: admins only; the export downloads; an upload
becomes a run, done by a background job (inline without Redis, by a worker with it), and
its page refreshes itself until the report is there."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from flask import Flask
from sqlalchemy import func, select

from inkstand import runtime, worker
from inkstand.accounts.models import Role
from inkstand.blog.models import Post
from inkstand.extensions import db
from inkstand.jobs import RQJobs
from inkstand.moving import jobs as moving_jobs
from inkstand.moving.models import ImportRun, RunState
from inkstand.pages.models import Page
from tests.helpers import Factory, csrf_token, login
from tests.moving import wxr

PAGE = "/admin/moving"


def _upload(client, data: bytes, kind: str = "wordpress", name: str = "old.xml"):
    token = csrf_token(client, PAGE)
    form = {"csrf_token": token, "kind": kind, "file": (io.BytesIO(data), name)}
    return client.post(f"{PAGE}/import", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_reach_the_pages(client, factory, role):
    factory.user(Role.ADMIN)
    run = ImportRun(kind="ghost", file_name="x.json", total=1)
    db.session.add(run)
    db.session.commit()
    login(client, factory.user(role))
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/imports/{run.id}").status_code == 403
    token = csrf_token(client, "/settings/data")
    assert client.post(f"{PAGE}/export", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{PAGE}/import", data={"csrf_token": token}).status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    assert client.get(PAGE).status_code == 302
    assert client.get(f"{PAGE}/imports/1").status_code == 302


def test_the_admin_downloads_the_export(client, factory):
    admin = factory.user(Role.ADMIN)
    factory.post(admin, "Exported")
    login(client, admin)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Download the export" in page
    assert "No import yet." in page
    response = client.post(f"{PAGE}/export", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert json.loads(archive.read("manifest.json"))["full"] is False
    assert "tables/posts.jsonl" in archive.namelist()
    assert b'"password_hash": ""' in archive.read("tables/users.jsonl")


def test_the_admin_home_and_menu_lead_here(client, factory):
    login(client, factory.user(Role.ADMIN))
    assert f'href="{PAGE}"' in client.get("/admin/").get_data(as_text=True)


def test_a_forged_form_is_refused(client, factory):
    login(client, factory.user(Role.ADMIN))
    assert client.post(f"{PAGE}/export").status_code == 400
    response = client.post(f"{PAGE}/import", data={"kind": "wordpress"})
    assert response.status_code == 400


def test_an_upload_is_imported_inline_and_its_page_shows_the_report(client, factory):
    login(client, factory.user(Role.ADMIN))
    response = _upload(client, wxr.realistic())
    assert response.status_code == 303
    run = db.session.scalars(select(ImportRun)).one()
    assert response.headers["Location"].endswith(f"{PAGE}/imports/{run.id}")
    assert run.state == RunState.DONE  # no Redis: the job ran inline
    page = client.get(f"{PAGE}/imports/{run.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    assert "Done." in page
    assert "post (published)" in page
    assert "Skipped (1)" in page
    assert "1 nav menu item</strong>: not a post or a page" in page
    assert not list(moving_jobs.folder().iterdir())  # the upload is gone
    assert "old.xml" in client.get(PAGE).get_data(as_text=True)


def test_a_run_under_way_refreshes_its_page(client, factory):
    admin = factory.user(Role.ADMIN)
    run = ImportRun(
        kind="wordpress",
        file_name="big.xml",
        actor_id=admin.id,
        total=200,
        done=50,
        state=RunState.RUNNING,
    )
    db.session.add(run)
    db.session.commit()
    login(client, admin)
    page = client.get(f"{PAGE}/imports/{run.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'value="25"' in page
    assert "Importing: 25% read" in page


def test_a_refused_file_shows_why(client, factory):
    login(client, factory.user(Role.ADMIN))
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>'
    )
    _upload(client, xxe)
    run = db.session.scalars(select(ImportRun)).one()
    page = client.get(f"{PAGE}/imports/{run.id}").get_data(as_text=True)
    assert run.state == RunState.FAILED
    assert "The import stopped: The file was refused" in page
    assert "root:" not in page


@pytest.mark.parametrize(
    ("kind", "data", "status", "message"),
    [
        ("wordpress", b"", 422, "Choose the export file to import."),
        ("joomla", b"<rss/>", 400, "Not a valid choice"),
    ],
)
def test_bad_uploads_are_form_errors(client, factory, kind, data, status, message):
    login(client, factory.user(Role.ADMIN))
    response = _upload(client, data, kind=kind)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_a_file_over_the_limit_is_refused(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100)
    login(client, factory.user(Role.ADMIN))
    response = _upload(client, wxr.realistic())
    assert response.status_code == 422
    assert "larger than 100 bytes" in response.get_data(as_text=True)
    assert not list(moving_jobs.folder().iterdir())


def test_the_pages_cost_a_fixed_number_of_queries(client, factory, queries):
    admin = factory.user(Role.ADMIN)
    login(client, admin)
    counts = []
    for n in (1, 5):
        for _ in range(n):
            db.session.add(ImportRun(kind="ghost", file_name="g.json", actor_id=admin.id, total=1))
        db.session.commit()
        queries.clear()
        assert client.get(PAGE).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_with_redis_a_worker_does_the_import(rq_app: Flask):
    client = rq_app.test_client()
    login(client, Factory(rq_app).user(Role.ADMIN))
    response = _upload(client, wxr.realistic())
    run = db.session.scalars(select(ImportRun)).one()
    assert run.state == RunState.QUEUED
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page
    assert "Waiting for its turn" in page
    jobs = runtime.get().jobs
    assert isinstance(jobs, RQJobs)
    (job,) = jobs.queue().get_jobs()
    assert job.func_name == "inkstand.moving.jobs.run_import"
    assert job.timeout == moving_jobs.IMPORT_TIMEOUT
    assert worker.make(rq_app, jobs, simple=True).work(burst=True)
    db.session.expire_all()
    assert db.session.get(ImportRun, run.id).state == RunState.DONE
    assert db.session.scalar(select(func.count()).select_from(Post)) == 5
    assert db.session.scalar(select(Page.slug)) == "about"  # the page, a page in the job too


@pytest.mark.parametrize("path", ["/old/\x00\x00", "/old/%00", "/old/\x1f", "/" + "a" * 600])
def test_an_old_address_that_cannot_be_stored_is_an_ordinary_404(client, path):
    """The old-permalink lookup runs on every 404: an address no import could have kept
    is not looked up (PostgreSQL refuses a NUL in a query)."""
    assert client.get(path).status_code == 404


def test_an_old_page_address_costs_one_query_more_on_a_404(client, queries):
    """``/about/`` (WordPress's address of the page now at ``/about``) is looked up once
    among the pages; any other 404 is not."""
    counts = []
    for path in ("/nothing/here/", "/nothing-here/"):
        queries.clear()
        assert client.get(path).status_code == 404
        counts.append(len(queries))
    assert counts[1] == counts[0] + 1
