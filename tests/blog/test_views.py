"""Reading and writing pages through HTTP, with their SQL query budgets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inkstand.accounts import zones
from inkstand.blog.models import Post
from inkstand.blog.services import favourites
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import (
    PAGE_BUDGETS,
    bulk_posts,
    change_account,
    count_queries,
    fresh,
    login,
    post_titles,
    submit,
)


def test_home_pages_through_posts_by_keyset(client, factory):
    author = factory.user()
    site.update(db.session, factory.user("admin"), posts_per_page=3)
    bulk_posts(author, 7)
    first = client.get("/").get_data(as_text=True)
    assert post_titles(first) == ["Bulk 6", "Bulk 5", "Bulk 4"]
    older = re.search(r'href="(/\?before=[^"]+)"', first)[1]
    second = client.get(older).get_data(as_text=True)
    assert post_titles(second) == ["Bulk 3", "Bulk 2", "Bulk 1"]
    third = client.get(re.search(r'href="(/\?before=[^"]+)"', second)[1]).get_data(as_text=True)
    assert post_titles(third) == ["Bulk 0"]
    assert "Older" not in third
    newer = re.search(r'href="(/\?after=[^"]+)"', third)[1]
    assert post_titles(client.get(newer).get_data(as_text=True)) == ["Bulk 3", "Bulk 2", "Bulk 1"]


def test_deep_pages_seek_by_key_not_by_offset(client, factory, queries):
    bulk_posts(factory.user(), 30)
    first = client.get("/").get_data(as_text=True)
    queries.clear()
    client.get(re.search(r'href="(/\?before=[^"]+)"', first)[1])
    listing = next(q for q in queries if "FROM posts" in q)
    assert "posts.published_at < " in listing
    assert "posts.id < " in listing


def test_post_page_shows_rendered_markdown_tags_and_author(client, factory):
    author = factory.user(username="ada")
    post = factory.post(author, "Readable", body="Hello **there**", tags="python, web")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "<strong>there</strong>" in html
    assert 'href="/tags/python"' in html
    assert 'href="/authors/ada"' in html
    assert f'rel="canonical" href="http://inkstand.test/posts/{post.slug}"' in html


def test_tag_and_author_pages(client, factory):
    ada, bob = factory.user(username="ada"), factory.user(username="bob")
    factory.post(ada, "Ada on Python", tags="python")
    factory.post(bob, "Bob on Python", tags="python")
    factory.post(bob, "Bob on Go", tags="go")
    assert post_titles(client.get("/tags/python").get_data(as_text=True)) == [
        "Bob on Python",
        "Ada on Python",
    ]
    assert post_titles(client.get("/authors/bob").get_data(as_text=True)) == [
        "Bob on Go",
        "Bob on Python",
    ]
    assert client.get("/tags/nothing").status_code == 404
    assert client.get("/authors/nobody").status_code == 404


def test_old_slug_redirects_permanently(client, factory):
    author = factory.user()
    post = factory.post(author, "First name")
    login(client, author)
    data = {"title": "First name", "body": "Body", "slug": "second-name", "status": "published"}
    submit(client, f"/posts/{post.id}/edit", data)
    response = client.get("/posts/first-name")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/posts/second-name")


def test_unknown_post_is_a_styled_404(client):
    response = client.get("/posts/missing")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_write_edit_and_delete_through_forms(client, factory):
    author = factory.user()
    login(client, author)
    data = {"title": "From the form", "body": "Text", "tags": "one, two", "status": "published"}
    created = submit(client, "/write", data, page="/write")
    assert created.status_code == 302
    post = db.session.scalar(select(Post))
    assert created.headers["Location"] == f"/posts/{post.slug}"
    edit_page = client.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="one, two"' in edit_page
    submit(client, f"/posts/{post.id}/edit", {**data, "title": "Edited"})
    assert "Edited" in client.get("/").get_data(as_text=True)
    revisions = client.get(f"/posts/{post.id}/revisions").get_data(as_text=True)
    assert "Restore revision 1" in revisions
    diff = client.get(f"/posts/{post.id}/revisions/compare?from=1&to=2").get_data(as_text=True)
    assert '<tr class="changed">' in diff  # the title
    assert "From the form" in diff
    assert submit(client, f"/posts/{post.id}/delete").status_code == 302
    assert fresh(select(Post.deleted_at)) is not None  # in the trash
    assert client.get(f"/posts/{post.slug}").status_code == 404


def test_scheduled_publication_from_the_form(client, factory):
    author = factory.user()
    login(client, author)
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"title": "Later", "body": "Soon", "status": "published", "publish_at": later}
    submit(client, "/write", data, page="/write")
    assert "Later" not in client.get("/").get_data(as_text=True)
    assert "Scheduled" in client.get("/manage").get_data(as_text=True)


def test_manage_lists_own_posts_for_authors_and_all_for_editors(client, factory):
    ada, bob, editor = factory.user(), factory.user(), factory.user("editor")
    factory.post(ada, "Ada's draft", status="draft")
    factory.post(bob, "Bob's post")
    login(client, ada)
    page = client.get("/manage").get_data(as_text=True)
    assert "Ada&#39;s draft" in page
    assert "Bob&#39;s post" not in page
    client.post("/logout", data={"csrf_token": re.search(r'csrf-token" content="([^"]+)', page)[1]})
    login(client, editor)
    page = client.get("/manage").get_data(as_text=True)
    assert "Ada&#39;s draft" in page
    assert "Bob&#39;s post" in page


@pytest.mark.parametrize("page", sorted(PAGE_BUDGETS))
def test_query_count_is_fixed_whatever_the_number_of_posts(client, factory, queries, page):
    author = factory.user(username="ada")
    post = factory.post(author, "Tagged", tags="python, web, sql")
    tag_id = post.tags[0].id
    urls = {
        "home": "/",
        "post": f"/posts/{post.slug}",
        "tag": "/tags/python",
        "author": "/authors/ada",
    }
    small = count_queries(client, queries, urls[page])
    bulk_posts(author, 300, tag_id)
    large = count_queries(client, queries, urls[page])
    assert small == large == PAGE_BUDGETS[page]


def test_logged_in_page_adds_only_the_account_query(client, factory, queries):
    factory.post(factory.user())
    login(client, factory.user("reader"))
    assert count_queries(client, queries, "/") == PAGE_BUDGETS["home"] + 1


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("reader", {"Feed"}),
        ("author", {"Feed", "Write", "Posts", "Moderation"}),
        ("editor", {"Feed", "Write", "Posts", "Moderation"}),
        ("admin", {"Feed", "Write", "Posts", "Moderation", "Admin"}),
    ],
)
def test_the_menu_offers_what_the_role_may_do(client, factory, role, links):
    factory.user("admin", "boss")
    login(client, factory.user(role))
    menu = re.search(
        r'<nav aria-label="Main">(.*?)</nav>', client.get("/").get_data(as_text=True), re.S
    )
    offered = set(re.findall(r">(Feed|Write|Posts|Moderation|Admin)</a>", menu[1]))
    assert offered == links


def test_scheduling_says_when_in_her_time_zone_beside_utc(client, factory):
    author = factory.user()
    change_account(author, time_zone="America/New_York")
    login(client, author)
    data = {"title": "Later", "body": "Soon", "status": "published",
            "publish_at": "2031-07-04T16:30"}  # UTC  # fmt: skip
    saved = submit(client, "/write", data, page="/write")
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    said = "it goes out on Friday 4 July 2031 at 12:30 America/New York (16:30 UTC)."
    assert said in page
    assert "Scheduled · " in page
    assert "4 July 2031, 16:30 UTC</time>" in page  # the badge has the time of day
    listed = client.get("/manage").get_data(as_text=True)
    assert "Goes out" in listed
    assert "Friday 4 July 2031 at 12:30 America/New York (16:30 UTC)" in listed
    post = db.session.scalar(select(Post))
    assert "Friday 4 July 2031 at 12:30" in client.get(f"/posts/{post.id}/edit").get_data(
        as_text=True
    )


def test_scheduling_in_utc_says_utc_once(client, factory):
    login(client, factory.user())
    data = {"title": "Later", "body": "Soon", "status": "published",
            "publish_at": "2031-07-04T23:30"}  # fmt: skip
    saved = submit(client, "/write", data, page="/write")
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "it goes out on Friday 4 July 2031 at 23:30 UTC." in page


def test_a_zone_a_day_ahead_names_both_days(factory):
    moment = datetime(2031, 7, 4, 23, 30, tzinfo=UTC)
    assert zones.describe(moment, "Asia/Tokyo") == (
        "Saturday 5 July 2031 at 08:30 Asia/Tokyo (Friday 4 July 2031, 23:30 UTC)"
    )


def test_the_editor_explains_the_states(client, factory):
    author = factory.user()
    login(client, author)
    page = client.get("/write").get_data(as_text=True)
    assert 'aria-describedby="status-help"' in page
    assert "Archived: off the home page, lists, feeds and search" in page


@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_no_favourite_button_on_an_unpublished_post(client, factory, state):
    author = factory.user()
    later = utcnow() + timedelta(days=1)
    post = (factory.post(author, status="draft") if state == "draft"
            else factory.post(author, publish_at=later))  # fmt: skip
    login(client, author)
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "favourite" not in page.lower()


def test_the_favourite_button_on_a_published_post(client, factory):
    author = factory.user()
    post = factory.post(author)
    login(client, factory.user("reader"))
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert f'action="/posts/{post.id}/favourite"' in page


def test_counts_in_a_list_are_spaced(client, factory):
    author = factory.user()
    post = factory.post(author, "Counted")
    reader = factory.user("reader")
    factory.comment(reader, post)
    factory.comment(reader, post)
    favourites.favourite(db.session, reader, post.id)
    page = client.get("/").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "2 comments · 1 favourite" in text
