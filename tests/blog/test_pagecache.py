"""The page cache: visitors get stored pages; any change retires them at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, update

from inkstand import runtime
from inkstand.blog import pagecache
from inkstand.blog.models import Tag
from inkstand.db import utcnow
from inkstand.extensions import cache, db
from inkstand.site import services as site_services
from inkstand.site.models import CONTENT_VERSION, SiteSetting
from tests.helpers import (
    Factory,
    change,
    login,
    page_cached_app,
    post_titles,
    recorded_sql,
    submit,
)


@pytest.fixture(params=["memory", "redis"])
def cached_app(request, database_url, tmp_path) -> Iterator[Flask]:
    with page_cached_app(
        request.param,
        tmp_path,
        database_url,
        SERVER_NAME=None,
        TRUSTED_HOSTS=("localhost", "one.example", "two.example"),
    ) as app:
        yield app


@pytest.fixture
def sql(cached_app) -> Iterator[list[str]]:
    with recorded_sql() as statements:
        yield statements


def test_a_visitor_gets_the_stored_page_without_a_query(cached_app, sql):
    factory = Factory(cached_app)
    factory.post(factory.user(), "Cached post")
    client = cached_app.test_client()
    first = client.get("/")
    sql.clear()
    second = client.get("/")
    assert sql == []
    assert second.get_data() == first.get_data()
    assert "Cached post" in second.get_data(as_text=True)
    assert "Content-Security-Policy" in second.headers


def test_a_new_post_retires_stored_pages_at_once(cached_app):
    factory = Factory(cached_app)
    author = factory.user()
    factory.post(author, "First")
    client = cached_app.test_client()
    assert "First" in client.get("/").get_data(as_text=True)
    factory.post(author, "Second")
    assert "Second" in client.get("/").get_data(as_text=True)


def test_a_held_comment_keeps_stored_pages_and_its_approval_retires_them(cached_app, sql):
    """Visitors never see a held comment, so a flood of them (spam) cannot wipe
    the cache; approving one is a change they see."""
    from inkstand.comments import services as comments

    factory = Factory(cached_app)
    author = factory.user()
    post = factory.post(author, "Talk to me")
    reader = factory.user("reader", "rita")
    client = cached_app.test_client()
    page = f"/posts/{post.slug}"
    assert "0 comments" in client.get(page).get_data(as_text=True)
    held = factory.comment(reader, post, "Wait for me", policy="hold_all")
    sql.clear()
    assert "0 comments" in client.get(page).get_data(as_text=True)
    assert sql == []  # still the stored page
    comments.moderate(db.session, author, [held.id], "approve")
    assert "Wait for me" in client.get(page).get_data(as_text=True)


def test_another_processes_change_is_seen_within_the_check_interval(cached_app, monkeypatch):
    factory = Factory(cached_app)
    author = factory.user()
    post = factory.post(author, "Before")
    client = cached_app.test_client()
    # No re-read until the test says so, however slowly a busy machine runs it.
    monkeypatch.setattr(pagecache, "VERSION_CHECK_SECONDS", 3600.0)
    client.get(f"/posts/{post.slug}")
    # Another process: a change written without this process's ORM session events.
    with db.engine.begin() as conn:
        conn.execute(
            update(SiteSetting).where(SiteSetting.key == CONTENT_VERSION).values(value="x")
        )
        conn.execute(update(type(post)).where(type(post).id == post.id).values(title="After"))
    assert "Before" in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    monkeypatch.setattr(pagecache, "VERSION_CHECK_SECONDS", 0.0)
    assert "After" in client.get(f"/posts/{post.slug}").get_data(as_text=True)


def test_logged_in_people_are_never_served_or_stored(cached_app):
    factory = Factory(cached_app)
    author = factory.user()
    factory.post(author, "Shared")
    member = cached_app.test_client()
    login(member, author)
    assert "Log out" in member.get("/").get_data(as_text=True)
    visitor = cached_app.test_client()
    assert "Log out" not in visitor.get("/").get_data(as_text=True)
    assert "Log out" in member.get("/").get_data(as_text=True)


def test_each_host_has_its_own_page(cached_app):
    client = cached_app.test_client()
    one = client.get("/", base_url="http://one.example").get_data(as_text=True)
    two = client.get("/", base_url="http://two.example").get_data(as_text=True)
    assert 'rel="canonical" href="http://one.example/"' in one
    assert 'rel="canonical" href="http://two.example/"' in two


def test_a_page_is_kept_no_longer_than_until_the_next_scheduled_post(cached_app, monkeypatch):
    factory = Factory(cached_app)
    author = factory.user()
    factory.post(author, "Now")
    factory.post(author, "Soon", publish_at=utcnow() + timedelta(seconds=90))
    kept: list[int] = []
    real_set = cache.set
    monkeypatch.setattr(
        cache,
        "set",
        lambda key, value, timeout: kept.append(timeout) or real_set(key, value, timeout),
    )
    cached_app.test_client().get("/")
    assert kept
    assert 1 <= kept[0] <= 90


def test_errors_and_other_pages_are_not_stored(cached_app, monkeypatch):
    stored: list[str] = []
    monkeypatch.setattr(cache, "set", lambda key, *args, **kwargs: stored.append(key))
    client = cached_app.test_client()
    assert client.get("/posts/missing").status_code == 404
    assert client.get("/login").status_code == 200
    assert stored == []


def test_a_hit_is_not_stored_again_and_junk_arguments_are_not_stored(cached_app, monkeypatch):
    client = cached_app.test_client()
    client.get("/")
    stored: list[str] = []
    real_set = cache.set
    monkeypatch.setattr(
        cache, "set", lambda key, *a, **kw: stored.append(key) or real_set(key, *a, **kw)
    )
    client.get("/")
    for n in range(5):
        assert client.get(f"/?junk={n}").status_code == 200
    assert stored == []


def test_follow_and_favourite_buttons_never_carry_an_account_into_a_stored_page(cached_app, sql):
    """Visitors get one shared page with log-in links; an account always gets her own
    state, whoever filled the cache first."""
    factory = Factory(cached_app)
    ada = factory.user(username="ada")
    post = factory.post(ada, "Liked")
    fan = factory.user("reader")
    member = cached_app.test_client()
    login(member, fan)
    visitor = cached_app.test_client()
    pages = ["/authors/ada", f"/posts/{post.slug}"]
    for page in pages:  # the visitor fills the cache first
        assert "/login?next=" in visitor.get(page).get_data(as_text=True)
    submit(member, "/authors/ada/follow", page="/authors/ada")
    submit(member, f"/posts/{post.id}/favourite", page=f"/posts/{post.slug}")
    member_pages = [member.get(page).get_data(as_text=True) for page in pages]
    assert "/authors/ada/unfollow" in member_pages[0]
    assert f"/posts/{post.id}/unfavourite" in member_pages[1]
    for page, shown in zip(pages, ["1 follower<", "1 favourite<"], strict=True):
        visitor.get(page)  # stored again after the change retired the old page
        sql.clear()
        html = visitor.get(page).get_data(as_text=True)
        assert sql == [], page
        assert shown in html  # the count is public: the change retired the stored page
        assert "unfollow" not in html
        assert "unfavourite" not in html
        assert "csrf" not in html.lower()
        assert "/login?next=" in html


def test_the_content_version_is_written_as_the_change_commits(app, factory, queries):
    """Every write of public content updates the one version row, whose lock every other
    writer waits for: it is written once, at commit, after the transaction's own work,
    not at the first flush; a rolled-back change leaves the old version."""
    author = factory.user("author", "vera")
    before = site_services.content_version(db.session)
    post = factory.post(author, "Before")
    assert site_services.content_version(db.session) != before

    before = site_services.content_version(db.session)
    queries.clear()
    post.title = "Renamed"
    db.session.flush()
    writes = ("UPDATE site_settings", "INSERT INTO site_settings")
    assert not [q for q in queries if q.startswith(writes)], "written before the commit"
    db.session.add(Tag(name="late"))
    db.session.commit()
    written = [q for q in queries if q.startswith("UPDATE site_settings")]
    assert len(written) == 1
    assert queries.index(written[0]) > max(i for i, q in enumerate(queries) if "tags" in q)
    assert site_services.content_version(db.session) != before

    before = site_services.content_version(db.session)
    post.title = "Never"
    db.session.flush()
    db.session.rollback()
    assert site_services.content_version(db.session) == before


def _settings_reads(statements: list[str]) -> list[str]:
    """The statements that read every setting (the content version's is one row, by key)."""
    return [s for s in statements if "FROM site_settings" in s and "WHERE" not in s]


def test_site_settings_are_kept_per_process_under_the_content_version(cached_app, sql):
    factory = Factory(cached_app)
    admin = factory.user("admin")
    member = cached_app.test_client()
    login(member, admin)
    member.get("/")
    sql.clear()
    assert "<title>" in member.get("/").get_data(as_text=True)
    assert _settings_reads(sql) == []  # rendered for a logged-in reader, settings kept
    site_services.update(db.session, admin, title="A new title")
    sql.clear()
    assert "A new title" in member.get("/").get_data(as_text=True)
    assert len(_settings_reads(sql)) == 1


def test_another_processes_setting_is_seen_within_the_check_interval(cached_app, monkeypatch):
    factory = Factory(cached_app)
    member = cached_app.test_client()
    login(member, factory.user("admin"))
    monkeypatch.setattr(pagecache, "VERSION_CHECK_SECONDS", 3600.0)
    assert "Inkstand" in member.get("/").get_data(as_text=True)
    with db.engine.begin() as conn:  # another process: no session events here
        conn.execute(
            update(SiteSetting).where(SiteSetting.key == CONTENT_VERSION).values(value="y")
        )
        conn.execute(insert(SiteSetting).values(key="title", value="Elsewhere"))
    assert "Elsewhere" not in member.get("/").get_data(as_text=True)
    monkeypatch.setattr(pagecache, "VERSION_CHECK_SECONDS", 0.0)
    assert "Elsewhere" in member.get("/").get_data(as_text=True)


def _featured_reads(statements: list[str]) -> list[str]:
    """The statements that read the featured posts (``featured IS 1``, or ``IS true``)."""
    return [s for s in statements if "posts.featured IS " in s]


def test_featured_posts_are_kept_per_process_under_the_content_version(cached_app, sql):
    factory = Factory(cached_app)
    author = factory.user()
    post = factory.post(author, "Special", featured=True)
    member = cached_app.test_client()
    login(member, factory.user("reader"))
    member.get("/")
    sql.clear()
    first = member.get("/").get_data(as_text=True)
    assert "Special" in first.split('<section class="featured"')[1].split("</section>")[0]
    assert _featured_reads(sql) == []  # rendered for a logged-in reader, the block kept
    change(post, author, title="Renamed")
    sql.clear()
    block = member.get("/").get_data(as_text=True).split('<section class="featured"')[1]
    assert "Renamed" in block.split("</section>")[0]
    assert len(_featured_reads(sql)) == 1
    factory.comment(factory.user("reader"), post, "A first word")
    assert "1 comment" in member.get("/").get_data(as_text=True)
    change(post, author, featured=False)
    assert 'class="featured"' not in member.get("/").get_data(as_text=True)


def test_a_scheduled_featured_post_joins_the_kept_block_when_its_time_comes(
    cached_app, monkeypatch
):
    factory = Factory(cached_app)
    author = factory.user()
    factory.post(author, "Featured now", featured=True)
    factory.post(author, "Featured soon", featured=True, publish_at=utcnow() + timedelta(hours=1))
    member = cached_app.test_client()
    login(member, factory.user("reader"))
    assert "Featured soon" not in member.get("/").get_data(as_text=True)
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(runtime, "utcnow", lambda: later)  # no new content version
    block = member.get("/").get_data(as_text=True).split('<section class="featured"')[1]
    assert post_titles(block.split("</section>")[0]) == ["Featured soon", "Featured now"]
