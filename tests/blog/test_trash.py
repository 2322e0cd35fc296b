"""The trash: a deleted post is asked about first, hidden everywhere, restorable by its
author and the staff for TRASH_DAYS, then purged (blog.services.trash, blog.jobs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from inkstand import runtime, worker
from inkstand.accounts import tokens
from inkstand.blog import jobs
from inkstand.blog.models import Post, Revision
from inkstand.blog.services import posts, trash
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.extensions import db
from inkstand.jobs import RQJobs
from tests.helpers import (
    Doors,
    Factory,
    bearer,
    change,
    count_queries,
    fresh,
    login,
    need_service,
    one_slot,
    page_cached_app,
    separate_app,
    submit,
)


def _trash(post: Post, actor, now=None) -> None:
    posts.delete_post(db.session, actor, post.id, now or utcnow())


def test_delete_asks_first_then_moves_to_the_trash(client, factory):
    author = factory.user()
    post = factory.post(author, "Think twice")
    login(client, author)
    edit = client.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert f'href="/posts/{post.id}/delete"' in edit  # a link to a question, not a form
    question = client.get(f"/posts/{post.id}/delete")
    assert question.status_code == 200
    page = question.get_data(as_text=True)
    assert "Delete “Think twice”?" in page
    assert "30 days" in page
    assert "no other post can take it" in page
    assert fresh(select(Post.deleted_at)) is None  # asking changed nothing
    done = submit(client, f"/posts/{post.id}/delete", page=f"/posts/{post.id}/delete")
    assert done.status_code == 302
    assert "moved to the trash" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert fresh(select(Post.deleted_at)) is not None
    assert fresh(select(func.count(Revision.id))) == 1  # nothing is lost yet


def test_deleting_needs_a_csrf_token(client, factory):
    author = factory.user()
    post = factory.post(author)
    login(client, author)
    assert client.post(f"/posts/{post.id}/delete").status_code == 400
    assert fresh(select(Post.deleted_at)) is None


def test_only_its_writers_delete_or_see_the_question(client, factory):
    post = factory.post(factory.user())
    login(client, factory.user())
    assert client.get(f"/posts/{post.id}/delete").status_code == 403
    assert submit(client, f"/posts/{post.id}/delete").status_code == 403
    with pytest.raises(Forbidden):
        _trash(post, factory.user("reader"))


def test_a_trashed_post_is_gone_from_every_public_page(client, factory):
    author = factory.user(username="writer")
    kept = factory.post(author, "Still here", tags="shared")
    gone = factory.post(author, "Vanished chestnut", tags="shared, lonely")
    _trash(gone, author)
    month = f"{gone.published_at:%Y/%m}"
    for path in ("/", "/tags/shared", "/authors/writer", "/atom.xml", "/rss.xml",
                 "/tags/shared/atom.xml", "/authors/writer/rss.xml", "/sitemaps/posts.xml",
                 f"/archive/{month}", "/search?q=chestnut", "/api/v1/posts",
                 "/api/articles", "/api/v1/tags"):  # fmt: skip
        text = client.get(path).get_data(as_text=True)
        assert "Vanished" not in text, path
        assert gone.slug not in text, path
        assert "lonely" not in text, path
    assert "Still here" in client.get("/").get_data(as_text=True)
    assert kept.slug in client.get("/sitemaps/posts.xml").get_data(as_text=True)


@pytest.mark.parametrize("who", ["visitor", "reader", "author", "editor"])
def test_a_trashed_post_answers_404_to_everyone(client, factory, who):
    author = factory.user()
    post = factory.post(author, "Gone")
    _trash(post, author)
    viewer = {"reader": factory.user("reader"), "author": author,
              "editor": factory.user("editor")}.get(who)  # fmt: skip
    if viewer is not None:
        login(client, viewer)
    assert client.get(f"/posts/{post.slug}").status_code == 404
    assert client.get(f"/api/v1/posts/{post.id}").status_code == 404
    assert client.get(f"/api/v1/posts/by-slug/{post.slug}").status_code == 404
    assert client.get(f"/api/articles/{post.slug}").status_code == 404
    if viewer is not None:  # nor is it edited, commented or favourited there
        assert client.get(f"/posts/{post.id}/edit").status_code == 404
        assert submit(client, f"/posts/{post.id}/favourite").status_code == 404


def test_an_old_slug_of_a_trashed_post_redirects_nowhere(client, factory):
    author = factory.user()
    post = factory.post(author, "Moved then gone")
    change(post, author, slug="new-home")
    _trash(post, author)
    assert client.get("/posts/moved-then-gone").status_code == 404


def test_a_trashed_post_keeps_its_slug_until_purged(factory):
    author = factory.user()
    post = factory.post(author, "Taken")
    _trash(post, author)
    with pytest.raises(Invalid, match="A post in the trash keeps this address"):
        factory.post(author, "Other", slug="taken")
    stranger = factory.user(username="stranger")  # not told of another's trash
    assert factory.post(stranger, "Hers", slug="taken").slug == "taken-2"
    assert factory.post(author, "Taken").slug == "taken-3"
    trash.purge(db.session, utcnow() + timedelta(days=30), 30)
    assert factory.post(author, "Other", slug="taken").slug == "taken"


def test_restore_brings_it_back_as_it_was(client, factory):
    author = factory.user()
    post = factory.post(author, "Back again", tags="kept")
    draft = factory.post(author, "Still a draft", status="draft")
    factory.comment(factory.user("reader"), post, "Nice")
    _trash(post, author)
    _trash(draft, author)
    login(client, author)
    page = client.get("/manage/trash").get_data(as_text=True)
    assert "Back again" in page
    assert "Still a draft" in page
    restored = submit(client, f"/posts/{post.id}/restore", page="/manage/trash")
    assert restored.status_code == 302
    assert restored.headers["Location"] == f"/posts/{post.id}/edit"
    home = client.get("/").get_data(as_text=True)
    assert "Back again" in home
    assert "1 comment" in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    trash.restore(db.session, author, draft.id)
    assert fresh(select(Post.status).where(Post.id == draft.id)) == "draft"
    assert "Back again" not in client.get("/manage/trash").get_data(as_text=True)


@pytest.mark.parametrize(("who", "allowed"), [("her", True), ("editor", True),
                                              ("admin", True), ("author", False),
                                              ("reader", False)])  # fmt: skip
def test_who_restores(factory, who, allowed):
    author = factory.user()
    post = factory.post(author)
    _trash(post, author)
    actor = author if who == "her" else factory.user(who)
    if allowed:
        assert trash.restore(db.session, actor, post.id).deleted_at is None
    else:
        with pytest.raises(NotFound):  # another's trash is not revealed
            trash.restore(db.session, actor, post.id)


def test_restoring_what_is_not_in_the_trash_is_not_found(factory):
    author = factory.user()
    post = factory.post(author)
    for post_id in (post.id, 0, 10**13):
        with pytest.raises(NotFound):
            trash.restore(db.session, author, post_id)


def test_the_trash_page_lists_her_own_and_all_for_editors(client, factory):
    mine, theirs = factory.user(), factory.user()
    _trash(factory.post(mine, "Mine binned"), mine)
    _trash(factory.post(theirs, "Theirs binned"), theirs)
    login(client, mine)
    page = client.get("/manage/trash").get_data(as_text=True)
    assert "Mine binned" in page
    assert "Theirs binned" not in page
    assert 'href="/manage/trash"' in client.get("/manage").get_data(as_text=True)
    assert "Mine binned" not in client.get("/manage").get_data(as_text=True)
    editor = factory.user("editor")
    login(client, editor)
    page = client.get("/manage/trash").get_data(as_text=True)
    assert "Mine binned" in page
    assert "Theirs binned" in page


def test_readers_have_no_trash(client, factory):
    login(client, factory.user("reader"))
    assert client.get("/manage/trash").status_code == 403


def test_the_trash_is_paged_by_keyset_newest_first(factory):
    author = factory.user()
    start = utcnow() - timedelta(days=1)
    for n in range(5):
        _trash(factory.post(author, f"Binned {n}"), author, start + timedelta(minutes=n))
    first = trash.trashed(db.session, author, 2)
    assert [p.title for p in first.items] == ["Binned 4", "Binned 3"]
    second = trash.trashed(db.session, author, 2, before=first.older)
    assert [p.title for p in second.items] == ["Binned 2", "Binned 1"]
    back = trash.trashed(db.session, author, 2, after=second.newer)
    assert [p.title for p in back.items] == ["Binned 4", "Binned 3"]


def test_the_trash_page_runs_a_fixed_number_of_queries(client, factory, queries):
    editor = factory.user("editor")
    _trash(factory.post(editor, "One"), editor)
    login(client, editor)
    few = count_queries(client, queries, "/manage/trash")
    for n in range(8):
        writer = factory.user()
        _trash(factory.post(writer, f"More {n}"), editor)
    assert count_queries(client, queries, "/manage/trash") == few


def test_purge_deletes_only_what_has_waited_long_enough(factory):
    author = factory.user()
    now = utcnow()
    old = factory.post(author, "Old")
    factory.comment(factory.user("reader"), old)
    _trash(old, author, now - timedelta(days=30))
    _trash(factory.post(author, "Recent"), author, now - timedelta(days=29))
    factory.post(author, "Alive")
    assert trash.purge(db.session, now, 30) == 1
    titles = set(db.session.scalars(select(Post.title)))
    assert titles == {"Recent", "Alive"}
    assert fresh(select(func.count(Comment.id))) == 0
    assert trash.purge(db.session, now, 30) == 0


def test_the_purge_command(app, factory):
    author = factory.user()
    _trash(factory.post(author), author, utcnow() - timedelta(days=31))
    result = app.test_cli_runner().invoke(args=["trash", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 post purged from the trash." in result.output
    assert fresh(select(func.count(Post.id))) == 0


def test_without_redis_a_thread_purges(tmp_path: Path, database_url: str) -> None:
    with separate_app(tmp_path, database_url, TRASH_PURGE_SECONDS=3600) as site:
        purger = site.extensions[jobs.EXTENSION]
        assert not jobs.schedule_purge(site)  # no scheduler without Redis
        factory = Factory(site)
        writer = factory.user()
        _trash(factory.post(writer), writer, utcnow() - timedelta(days=31))
        site.test_client().get("/")  # the first request starts the thread
        deadline = time.monotonic() + 10
        while fresh(select(func.count(Post.id))) and time.monotonic() < deadline:
            time.sleep(0.05)
        purger.stop()
        assert fresh(select(func.count(Post.id))) == 0


@pytest.fixture
def rq_site(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    with separate_app(tmp_path, database_url, REDIS_URL=url, TRASH_PURGE_SECONDS=1) as app:
        yield app


def _scheduled() -> list[str]:
    queue = runtime.get().jobs
    assert isinstance(queue, RQJobs)
    return list(ScheduledJobRegistry(queue=queue.queue()).get_job_ids())


def test_with_redis_the_scheduler_purges(rq_site: Flask) -> None:
    assert jobs.EXTENSION not in rq_site.extensions  # no thread: the scheduler does it
    factory = Factory(rq_site)
    writer = factory.user()
    _trash(factory.post(writer), writer, utcnow() - timedelta(days=31))
    with one_slot():
        assert jobs.schedule_purge(rq_site)
        assert jobs.schedule_purge(rq_site)
    assert len(_scheduled()) == 1  # one run per slot, whoever schedules it
    time.sleep(1.1)  # the slot's time comes
    queue = runtime.get().jobs
    assert isinstance(queue, RQJobs)
    worker.make(rq_site, queue, simple=True).work(burst=True, with_scheduler=True)
    db.session.remove()
    assert fresh(select(func.count(Post.id))) == 0
    assert len(_scheduled()) == 1  # and the run scheduled the next


def test_the_apis_delete_to_the_trash_and_restore(app, client, factory):
    author = factory.user()
    post = factory.post(author, "Through the API")
    doors = Doors(app, client, author)
    assert doors.v1("DELETE", f"/api/v1/posts/{post.id}").status_code == 204
    assert fresh(select(Post.deleted_at)) is not None
    assert doors.v1("DELETE", f"/api/v1/posts/{post.id}").status_code == 404
    restored = doors.v1("POST", f"/api/v1/posts/{post.id}/restore")
    assert restored.status_code == 200
    assert restored.get_json()["title"] == "Through the API"
    assert restored.headers["ETag"]
    assert doors.v1("POST", f"/api/v1/posts/{post.id}/restore").status_code == 404
    assert doors.realworld("DELETE", f"/api/articles/{post.slug}").status_code == 204
    assert fresh(select(Post.deleted_at)) is not None
    assert client.get(f"/api/v1/posts/{post.id}").status_code == 404


def test_restoring_through_the_api_needs_a_writing_token(app, client, factory):
    author = factory.user()
    post = factory.post(author)
    _trash(post, author)
    read_only = tokens.create(db.session, author, "ro", "read", utcnow())[1]
    answer = client.post(f"/api/v1/posts/{post.id}/restore", headers=bearer(read_only))
    assert answer.status_code == 403
    assert client.post(f"/api/v1/posts/{post.id}/restore").status_code == 401


def test_the_openapi_document_names_restore(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "post" in spec["paths"]["/api/v1/posts/{post_id}/restore"]
    assert "trash" in spec["paths"]["/api/v1/posts/{post_id}"]["delete"]["summary"]


def test_a_visitors_cached_pages_forget_a_trashed_post(tmp_path: Path, database_url: str) -> None:
    with page_cached_app("memory", tmp_path, database_url, SERVER_NAME=None) as site:
        factory = Factory(site)
        writer = factory.user()
        post = factory.post(writer, "Cached then binned")
        visitor = site.test_client()
        assert "Cached then binned" in visitor.get("/").get_data(as_text=True)
        assert visitor.get(f"/posts/{post.slug}").status_code == 200
        _trash(post, writer)
        assert "Cached then binned" not in visitor.get("/").get_data(as_text=True)
        assert visitor.get(f"/posts/{post.slug}").status_code == 404
        trash.restore(db.session, writer, post.id)
        assert "Cached then binned" in visitor.get("/").get_data(as_text=True)
