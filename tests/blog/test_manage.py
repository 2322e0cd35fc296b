"""The writers' list of posts (/manage): filters, sorts, keyset pages that keep the
filters, a fixed number of queries, and bulk actions confirmed first and authorised
post by post."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from inkstand.blog.models import Post
from inkstand.blog.services import bulk, posts
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import bulk_posts, count_queries, csrf_token, fresh, login

ROW = re.compile(r'<a class="post-title" href="/posts/[^"]+">([^<]+)</a>')


def _titles(page: str) -> list[str]:
    return [html.unescape(t) for t in ROW.findall(page)]


def _next(page: str) -> str | None:
    found = re.search(r'rel="next" href="([^"]+)"', page)
    return html.unescape(found[1]) if found else None


def _previous(page: str) -> str | None:
    found = re.search(r'rel="prev" href="([^"]+)"', page)
    return html.unescape(found[1]) if found else None


def _walk(client, url: str) -> list[str]:
    """Every title of the list at ``url``, following its Next links."""
    seen: list[str] = []
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += _titles(page)
        url = _next(page)
    return seen


@pytest.fixture
def desk(client, factory):
    """An author with posts in every state, another author's post, and a co-written one."""
    ada, bob = factory.user(username="ada"), factory.user(username="bob")
    start = utcnow() - timedelta(days=10)
    made = {}
    for n, (title, status, tags) in enumerate([
        ("Apple pie", "published", "food"),
        ("banana bread", "draft", "food"),
        ("Cherry notes", "archived", "notes"),
        ("Damson 100% jam_", "published", "food"),
    ]):  # fmt: skip
        made[title] = factory.post(ada, title, status=status, tags=tags,
                                   now=start + timedelta(days=n))  # fmt: skip
    made["Later"] = factory.post(ada, "Later", publish_at=utcnow() + timedelta(days=2),
                                 now=start + timedelta(days=5))  # fmt: skip
    made["Bob's own"] = factory.post(bob, "Bob's own", now=start + timedelta(days=6))
    made["Bob with Ada"] = factory.post(
        bob, "Bob with Ada", coauthors=["ada"], status="draft", now=start + timedelta(days=7)
    )
    login(client, ada)
    return ada, bob, made


ADA_ALL = ["Bob with Ada", "Later", "Damson 100% jam_", "Cherry notes", "banana bread",
           "Apple pie"]  # fmt: skip


BY_TITLE = ["Apple pie", "Bob with Ada", "Cherry notes", "Damson 100% jam_", "Later",
            "banana bread"]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ADA_ALL),  # recently updated first; her own and those she co-writes
        ("state=draft", ["Bob with Ada", "banana bread"]),
        ("state=scheduled", ["Later"]),
        ("state=published", ["Damson 100% jam_", "Apple pie"]),
        ("state=archived", ["Cherry notes"]),
        ("tag=food", ["Damson 100% jam_", "banana bread", "Apple pie"]),
        ("tag=FOOD&state=draft", ["banana bread"]),
        ("author=bob", ["Bob with Ada"]),
        ("author=ada&state=published", ["Damson 100% jam_", "Apple pie"]),
        ("title=BREAD", ["banana bread"]),
        ("title=100%25", ["Damson 100% jam_"]),  # % and _ are letters, not wildcards
        ("title=m_", ["Damson 100% jam_"]),
        ("title=zzz", []),
        ("sort=newest", ADA_ALL),
        ("sort=oldest", ADA_ALL[::-1]),
        ("sort=title", BY_TITLE),
        ("sort=oldest&tag=food", ["Apple pie", "banana bread", "Damson 100% jam_"]),
    ],
)
def test_filters_and_sorts(client, desk, query, titles):
    assert _walk(client, f"/manage?{query}") == titles


def test_editors_see_every_writers_posts(client, factory, desk):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/manage")})
    login(client, factory.user("editor"))
    assert set(_walk(client, "/manage")) == {*ADA_ALL, "Bob's own"}
    assert _walk(client, "/manage?author=bob") == ["Bob with Ada", "Bob's own"]


@pytest.mark.parametrize("sort", ["updated", "newest", "oldest", "title"])
def test_pages_follow_by_key_and_keep_the_filters(client, factory, queries, sort):
    author = factory.user(username="ada")
    bulk_posts(author, 60)
    db.session.execute(update(Post).values(status="draft"))  # the filter keeps them all
    db.session.commit()
    login(client, author)
    url = f"/manage?state=draft&title=bulk&sort={sort}"
    first = client.get(url).get_data(as_text=True)
    following = _next(first)
    assert following is not None
    arguments = parse_qs(urlsplit(following).query)
    assert arguments["state"] == ["draft"]
    assert arguments["title"] == ["bulk"]
    assert arguments.get("sort", ["updated"]) == [sort]
    queries.clear()
    second = client.get(following).get_data(as_text=True)
    listing = next(q for q in queries if "FROM posts" in q)
    assert re.search(r"posts\.id [<>] ", listing)  # seeks by key
    # SQLite writes "OFFSET 0" after every LIMIT; PostgreSQL is given none.
    assert "OFFSET" not in listing.upper() or db.engine.dialect.name == "sqlite"
    assert len(_titles(second)) == 25
    # Back from the second page is the first page again.
    assert _titles(client.get(_previous(second)).get_data(as_text=True)) == _titles(first)
    everything = _walk(client, url)
    assert len(everything) == len(set(everything)) == 60
    if sort == "title":
        assert everything == sorted(everything)


@pytest.mark.parametrize("sort", ["updated", "newest", "oldest", "title"])
def test_the_list_costs_the_same_queries_whatever_the_data(client, factory, queries, sort):
    ada, bea = factory.user(username="ada"), factory.user(username="bea")
    factory.post(ada, "Shared", coauthors=["bea"], tags="team")
    login(client, ada)
    url = f"/manage?sort={sort}&tag=team"
    small = count_queries(client, queries, url)
    bulk_posts(ada, 300)
    for n in range(30):
        factory.post(bea, f"Hers {n}", coauthors=["ada"], tags="team")
    large = count_queries(client, queries, url)
    # The account, the site settings, the posts with their authors and co-authors.
    assert small == large == 3


@pytest.mark.parametrize(
    "query",
    ["sort=best", "state=deleted", "title=" + "x" * 201, "tag=" + "t" * 41],
)
def test_bad_filters_are_form_errors(client, desk, query):
    response = client.get(f"/manage?{query}")
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("cursor", ["nonsense", "12-x", "-" * 50])
def test_a_broken_page_link_is_a_400(client, desk, cursor):
    assert client.get(f"/manage?before={cursor}").status_code == 400
    assert client.get(f"/manage?sort=title&after={cursor}").status_code == 400


def test_readers_have_no_list(client, factory):
    login(client, factory.user("reader"))
    assert client.get("/manage").status_code == 403


# Bulk actions


def _ids(made, *titles):
    return [made[t].id for t in titles]


def test_a_bulk_action_is_confirmed_first_and_changes_nothing_until_then(client, desk):
    _, _, made = desk
    chosen = _ids(made, "banana bread", "Bob's own")
    response = client.get("/manage/bulk", query_string={"action": "publish", "ids": chosen})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Publish 1 post?" in page
    assert "banana bread" in page.split("Not included")[0]
    assert "Bob&#39;s own" in page.split("Not included")[1]  # named, and not sent on
    bobs = made["Bob's own"].id
    assert f'name="ids" value="{bobs}"' not in page
    assert fresh(select(Post.status).where(Post.id == made["banana bread"].id)) == "draft"


@pytest.mark.parametrize(
    ("action", "status"),
    [("publish", "published"), ("unpublish", "draft"), ("archive", "archived")],
)
def test_bulk_state_changes(client, desk, action, status):
    _, _, made = desk
    chosen = _ids(made, "banana bread", "Apple pie", "Bob with Ada")
    back = "/manage?state=draft"
    response = client.post("/manage/bulk", data={
        "csrf_token": csrf_token(client, "/manage"), "action": action, "ids": chosen,
        "back": back,
    })  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == back
    for post_id in chosen:
        assert fresh(select(Post.status).where(Post.id == post_id)) == status


def test_a_bulk_action_refuses_the_posts_the_writer_may_not_touch_and_says_which(client, desk):
    _, _, made = desk
    chosen = _ids(made, "banana bread", "Bob's own", "Bob with Ada")
    response = client.post("/manage/bulk", data={
        "csrf_token": csrf_token(client, "/manage"), "action": "delete", "ids": chosen,
    }, follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Move to the trash: done for 1 post(s)." in page
    assert "Not done for “Bob&#39;s own”: You may not delete this post." in page
    # A co-author edits a post but does not delete it.
    assert "Not done for “Bob with Ada”: You may not delete this post." in page
    assert fresh(select(Post.deleted_at).where(Post.id == made["banana bread"].id)) is not None
    assert fresh(select(Post.id).where(Post.id == made["Bob's own"].id)) is not None
    assert fresh(select(Post.id).where(Post.id == made["Bob with Ada"].id)) is not None


def test_bulk_delete_goes_through_the_one_delete_service(client, desk, monkeypatch):
    _, _, made = desk
    deleted = []
    real = posts.delete_post

    def spy(session, actor, post_id, now):
        deleted.append(post_id)
        return real(session, actor, post_id, now)

    monkeypatch.setattr(posts, "delete_post", spy)
    chosen = _ids(made, "Apple pie", "Cherry notes")
    client.post("/manage/bulk", data={
        "csrf_token": csrf_token(client, "/manage"), "action": "delete", "ids": chosen,
    })  # fmt: skip
    assert sorted(deleted) == sorted(chosen)


def test_bulk_actions_need_the_csrf_token(client, desk):
    _, _, made = desk
    sent = {"action": "delete", "ids": _ids(made, "Apple pie")}
    response = client.post("/manage/bulk", data=sent)
    assert response.status_code == 400
    assert fresh(select(Post.id).where(Post.id == made["Apple pie"].id)) is not None


@pytest.mark.parametrize(
    "query",
    [
        {"action": "publish"},  # no posts
        {"action": "explode", "ids": "1"},
        {"action": "publish", "ids": ["x", "-1", "99999999999999"]},
    ],
)
def test_a_bulk_action_without_posts_or_with_an_unknown_action_goes_back(client, desk, query):
    response = client.get("/manage/bulk", query_string=query, follow_redirects=True)
    assert response.status_code == 200
    assert 'class="flash' in response.get_data(as_text=True) or "Choose" in response.get_data(
        as_text=True
    )


def test_a_bulk_action_has_a_limit(client, desk):
    too_many = list(range(1, bulk.MAX_POSTS + 2))
    response = client.post("/manage/bulk", data={
        "csrf_token": csrf_token(client, "/manage"), "action": "archive", "ids": too_many,
    }, follow_redirects=True)  # fmt: skip
    assert response.status_code == 422


def test_the_way_back_stays_on_the_list(client, desk):
    _, _, made = desk
    for back in ("https://evil.example/", "//evil.example/manage", "/login"):
        response = client.post("/manage/bulk", data={
            "csrf_token": csrf_token(client, "/manage"), "action": "archive",
            "ids": _ids(made, "Apple pie"), "back": back,
        })  # fmt: skip
        assert response.headers["Location"] == "/manage"


def test_readers_may_not_use_bulk_actions(client, factory, desk):
    _, _, made = desk
    client.post("/logout", data={"csrf_token": csrf_token(client, "/manage")})
    login(client, factory.user("reader"))
    chosen = {"action": "delete", "ids": _ids(made, "Apple pie")}
    assert client.get("/manage/bulk", query_string=chosen).status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/manage/bulk", data={"csrf_token": token, **chosen}).status_code == 403
