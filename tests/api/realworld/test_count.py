"""RealWorld's articlesCount and the APIs' tag lists: kept per process under the
content version, and exact after every change that alters them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from inkstand import runtime
from inkstand.accounts import services as accounts
from inkstand.accounts.models import User
from inkstand.blog import counts
from inkstand.blog.models import Post, Status
from inkstand.blog.services import favourites, trash
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.api.realworld.calls import Api
from tests.helpers import change, separate_app

COUNTING = "SELECT count(posts.id) FILTER"
NEW = {"title": "A new one", "description": "New.", "body": "New.", "tagList": ["kept"]}


def _count(api, query="", as_=None, path="/articles"):
    response = api.get(f"{path}{query}", as_)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["articlesCount"]


def test_a_count_is_kept_until_the_content_changes(api, factory, queries):
    author = factory.user("author")
    factory.post(author)
    factory.post(author, tags="none", status=Status.DRAFT.value)
    queries.clear()
    assert _count(api) == 1
    assert _count(api, "?tag=none") == 0
    assert len([q for q in queries if q.startswith(COUNTING)]) == 2
    queries.clear()
    assert (_count(api), _count(api, "?tag=none"), _count(api, "?tag=NONE")) == (1, 0, 0)
    assert not [q for q in queries if q.startswith(COUNTING)]


def test_each_change_to_the_list_is_counted_at_once(api, factory):
    author = factory.user("author", username="ada")
    factory.post(author, tags="kept")
    assert (_count(api), _count(api, "?tag=kept"), _count(api, "?author=ada")) == (1, 1, 1)

    created = api.post("/articles", author, json={"article": NEW})
    assert created.status_code == 201
    slug = created.get_json()["article"]["slug"]
    assert (_count(api), _count(api, "?tag=kept"), _count(api, "?author=ada")) == (2, 2, 2)

    post = db.session.scalar(select(Post).where(Post.slug == slug))
    change(post, author, status=Status.DRAFT.value)  # unpublished
    assert (_count(api), _count(api, "?tag=kept")) == (1, 1)
    change(post, author, status=Status.PUBLISHED.value)
    assert (_count(api), _count(api, "?tag=kept")) == (2, 2)

    assert api.delete(f"/articles/{slug}", author).status_code == 204  # to the trash
    assert (_count(api), _count(api, "?author=ada")) == (1, 1)
    db.session.expire_all()  # the post as the request left it: in the trash
    trash.restore(db.session, db.session.get(User, author.id), post.id)
    assert (_count(api), _count(api, "?author=ada")) == (2, 2)

    assert api.delete(f"/articles/{slug}", author).status_code == 204
    assert _count(api) == 1
    assert trash.purge(db.session, utcnow() + timedelta(days=1), 0) == 1
    assert _count(api) == 1


def test_favourites_and_follows_are_counted_at_once(api, factory):
    ada = factory.user("author", username="ada")
    reader = factory.user("reader", username="reader")
    post = factory.post(ada)
    assert _count(api, "?favorited=reader") == 0
    assert _count(api, as_=reader, path="/articles/feed") == 0
    favourites.favourite(db.session, reader, post.id)
    assert _count(api, "?favorited=reader") == 1
    favourites.unfavourite(db.session, reader, post.id)
    assert _count(api, "?favorited=reader") == 0
    accounts.follow(db.session, reader, "ada")
    assert _count(api, as_=reader, path="/articles/feed") == 1
    accounts.unfollow(db.session, reader, "ada")
    assert _count(api, as_=reader, path="/articles/feed") == 0


def test_a_scheduled_post_is_counted_when_it_appears(api, factory, monkeypatch):
    author = factory.user("author")
    start = utcnow()
    factory.post(author, "Now", tags="kept")
    factory.post(author, "Soon", tags="kept", publish_at=start + timedelta(minutes=10))
    monkeypatch.setattr(runtime, "utcnow", lambda: start + timedelta(minutes=9))
    assert (_count(api), _count(api, "?tag=kept")) == (1, 1)
    monkeypatch.setattr(runtime, "utcnow", lambda: start + timedelta(minutes=10))
    assert (_count(api), _count(api, "?tag=kept")) == (2, 2)


def test_every_process_counts_a_change_at_once(api, factory, database_url, tmp_path):
    author = factory.user("author")
    factory.post(author)
    with separate_app(tmp_path, database_url) as other:
        other_api = Api(other, other.test_client())
        assert _count(other_api) == 1
        assert _count(other_api) == 1  # kept by the other process
        assert api.post("/articles", author, json={"article": NEW}).status_code == 201  # here
        assert _count(other_api) == 2


def test_junk_filters_cannot_fill_memory(api, factory, monkeypatch):
    author = factory.user("author")
    factory.post(author)
    factory.post(author, tags="a,b,c,d", status=Status.DRAFT.value)
    monkeypatch.setattr(counts, "MAX_KEPT", 2)
    for tag in ("a", "b", "c", "d"):
        assert _count(api, f"?tag={tag}") == 0
    kept = api.app.extensions[counts.KEPT]
    assert len(kept._kept) == 2
    assert _count(api) == 1  # still counted, not kept


@pytest.mark.parametrize("query", ["?author=ada", "?favorited=ada"])
def test_a_renamed_account_is_counted_under_its_new_name(api, factory, query):
    ada = factory.user("author", username="ada")
    post = factory.post(ada)
    favourites.favourite(db.session, ada, post.id)
    assert _count(api, query) == 1
    changes = accounts.AccountChanges(username="bea")
    accounts.update_account(db.session, runtime.get().passwords, ada, changes)
    assert _count(api, query) == 0


def _tags(api, v1):
    if v1:
        response = api.client.get("/api/v1/tags")
        assert response.status_code == 200
        return [(t["name"], t["post_count"]) for t in response.get_json()["tags"]]
    response = api.get("/tags")
    assert response.status_code == 200
    return response.get_json()["tags"]


@pytest.mark.parametrize("v1", [False, True])
def test_the_tag_lists_are_kept_and_exact_after_each_change(api, factory, monkeypatch, v1):
    author = factory.user("author")
    start = utcnow()
    post = factory.post(author, tags="one")
    factory.post(author, "Soon", tags="soon", publish_at=start + timedelta(minutes=10))
    monkeypatch.setattr(runtime, "utcnow", lambda: start + timedelta(minutes=1))
    assert _tags(api, v1) == ([("one", 1)] if v1 else ["one"])
    change(post, author, tags="two")
    assert _tags(api, v1) == ([("two", 1)] if v1 else ["two"])
    monkeypatch.setattr(runtime, "utcnow", lambda: start + timedelta(minutes=10))
    assert _tags(api, v1) == ([("soon", 1), ("two", 1)] if v1 else ["soon", "two"])


@pytest.mark.parametrize("query", ["?tag=unknown", "?author=nobody", "?favorited=nobody"])
def test_an_unknown_name_lists_nothing_without_reading_posts(api, factory, queries, query):
    factory.post(factory.user("author", username="ada"), tags="known")
    queries.clear()
    response = api.get(f"/articles{query}&limit=5")
    assert response.get_json() == {"articles": [], "articlesCount": 0}
    # One query resolves the names; the posts, the content version and the count
    # are not read.
    assert len(queries) == 1, queries
    assert "FROM posts" not in queries[0].split("WHERE", 1)[0]
