"""The statistics dashboard: who sees what, ranges, escaping, CSV, query budget."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import utcnow
from tests.helpers import Factory, assert_form_error, login
from tests.helpers import seed_views as seed


@pytest.fixture
def writers(factory: Factory) -> dict[str, User]:
    return {role: factory.user(role, role) for role in ("admin", "editor", "author", "reader")}


@pytest.fixture
def two_posts(factory: Factory, writers: dict[str, User]) -> tuple[Post, Post]:
    mine = factory.post(writers["author"], "Mine")
    theirs = factory.post(writers["editor"], "Theirs")
    seed(f"/posts/{mine.slug}", post=mine, count=3, visitors=2)
    seed(f"/posts/{theirs.slug}", post=theirs, count=5, visitors=5)
    seed("/", count=7, visitors=3)
    return mine, theirs


def as_(client: FlaskClient, user: User) -> FlaskClient:
    login(client, user)
    return client


@pytest.mark.parametrize(("role", "views"), [("admin", 15), ("editor", 15), ("author", 3)])
def test_staff_see_the_site_and_authors_their_own_posts(
    client: FlaskClient, writers: dict[str, User], two_posts: tuple[Post, Post], role: str,
    views: int,
) -> None:  # fmt: skip
    page = as_(client, writers[role]).get("/stats")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"<dd>{views}</dd>" in text
    assert ("Theirs" in text) is (role != "author")
    assert ("Your posts only" in text) is (role == "author")


def test_readers_are_refused_and_visitors_sent_to_log_in(
    client: FlaskClient, writers: dict[str, User]
) -> None:
    for url in ("/stats", "/stats.csv"):
        assert client.get(url).status_code == 302
        assert "/login" in client.get(url).headers["Location"]
    as_(client, writers["reader"])
    assert client.get("/stats").status_code == 403
    assert client.get("/stats.csv").status_code == 403


def test_the_author_csv_holds_only_her_posts(
    client: FlaskClient, writers: dict[str, User], two_posts: tuple[Post, Post]
) -> None:
    answer = as_(client, writers["author"]).get("/stats.csv?table=posts")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows == [["post", "views", "visitors"], ["Mine", "3", "2"]]


def test_daily_figures_count_visitors_once_per_day(
    client: FlaskClient, writers: dict[str, User]
) -> None:
    seed(count=4, visitors=2, days_ago=0)
    seed(count=4, visitors=2, days_ago=1)  # the same ids, another day: other people
    page = as_(client, writers["admin"]).get("/stats?days=7").get_data(as_text=True)
    assert "<dd>8</dd>" in page  # views
    assert "<dd>4</dd>" in page  # visitors, once per day
    assert "counted once per day" in page
    answer = client.get("/stats.csv?days=7")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert answer.mimetype == "text/csv"
    assert len(rows) == 8
    today = utcnow().date()
    assert rows[-1] == [today.isoformat(), "4", "2"]
    assert rows[-2] == [(today - timedelta(1)).isoformat(), "4", "2"]
    assert rows[1][1:] == ["0", "0"]


def test_the_chart_is_an_accessible_svg_beside_its_table(
    client: FlaskClient, writers: dict[str, User], two_posts: tuple[Post, Post]
) -> None:
    page = as_(client, writers["admin"]).get("/stats?days=7").get_data(as_text=True)
    assert '<svg viewBox="0 0 720 240" role="img"' in page
    assert "aria-label=" in page
    assert "<title>Page views and visitors per day" in page
    assert page.count('<rect class="bar"') == 7
    assert '<table class="list" id="daily">' in page
    assert "<script" not in page.split("<main", 1)[1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("days=5", "Not a valid choice"),
        ("days=abc", "Not a valid choice"),
        ("first=2026-02-10&last=2026-01-01", "The first day comes after the last."),
        ("first=2020-01-01&last=2023-01-01", "Choose at most 366 days."),
        ("first=2999-01-01&last=2999-01-02", "The last day is in the future."),
        ("first=2026-01-01", "Give both the first and the last day."),
        ("first=yesterday&last=2026-01-01", "Not a valid date value."),
        ("first=2026-13-45&last=2026-01-01", "Not a valid date value."),
    ],
)
def test_a_bad_range_is_a_form_error(
    client: FlaskClient, writers: dict[str, User], query: str, message: str
) -> None:
    as_(client, writers["admin"])
    assert_form_error(client.get(f"/stats?{query}"), message)
    assert client.get(f"/stats.csv?{query}").status_code == 422


def test_the_csv_links_keep_the_range_and_nothing_else(
    client: FlaskClient, writers: dict[str, User]
) -> None:
    page = as_(client, writers["admin"]).get("/stats?days=7&x=%FF%FE&table=posts")
    assert page.status_code == 200
    assert 'href="/stats.csv?days=7&amp;table=referrers"' in page.get_data(as_text=True)


def test_a_custom_range_shows_those_days(client: FlaskClient, writers: dict[str, User]) -> None:
    seed(days_ago=3, count=2)
    day = (utcnow() - timedelta(days=3)).date().isoformat()
    page = as_(client, writers["admin"]).get(f"/stats?first={day}&last={day}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('<rect class="bar"') == 1
    assert client.get("/stats.csv?table=nonsense").status_code == 422


HOSTILE = '<script>alert(1)</script>"'


def test_hostile_referrers_paths_and_tags_are_escaped(
    client: FlaskClient, writers: dict[str, User]
) -> None:
    seed(f"/x{HOSTILE}", referrer_host=f"=cmd|{HOSTILE}", utm_campaign=f"@SUM(A1){HOSTILE}",
         utm_source="+1", utm_medium="-2")  # fmt: skip
    page = as_(client, writers["admin"]).get("/stats").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for table in ("referrers", "campaigns"):
        body = client.get(f"/stats.csv?table={table}").get_data(as_text=True)
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        assert not [c for c in cells if c[:1] in {"=", "+", "-", "@"}], cells
        assert any(c.startswith("'") for c in cells)


def test_the_dashboard_runs_the_same_queries_whatever_the_data(
    client: FlaskClient, writers: dict[str, User], factory: Factory, queries: list[str]
) -> None:
    def count() -> int:
        queries.clear()
        assert client.get("/stats?days=90").status_code == 200
        return len(queries)

    as_(client, writers["author"])
    few = count()
    for n in range(30):
        post = factory.post(writers["author"], f"Post {n}")
        tags = {
            "referrer_host": f"site{n}.example",
            "utm_campaign": f"c{n}",
            "browser": f"B{n % 4}",
        }
        seed(f"/posts/{post.slug}", post=post, days_ago=n, count=20, visitors=7, **tags)
    assert count() == few == 9  # the account, the site settings, the last rolled day, six figures


def test_every_role_has_the_stats_link_it_may_follow(
    client: FlaskClient, writers: dict[str, User], app: Flask
) -> None:
    as_(client, writers["author"])
    assert 'href="/stats"' in client.get("/feed").get_data(as_text=True)
    client.post("/logout")
    other = app.test_client()
    as_(other, writers["reader"])
    assert 'href="/stats"' not in other.get("/feed").get_data(as_text=True)


@pytest.mark.parametrize("role", ["author", "editor", "admin"])
def test_the_edit_page_shows_the_post_readers_to_whoever_may_edit_it(
    client: FlaskClient, writers: dict[str, User], two_posts: tuple[Post, Post], role: str
) -> None:
    mine, _ = two_posts
    seed(f"/posts/{mine.slug}", post=mine, days_ago=3, count=4, referrer_host="news.example")
    page = as_(client, writers[role]).get(f"/posts/{mine.id}/edit").get_data(as_text=True)
    panel = page.split('id="post-stats-heading"', 1)[1]
    assert "7 views" in panel  # three today, four three days ago
    assert "news.example" in panel
    assert panel.count('<rect class="bar"') == 30
    assert "<title>Page views and visitors per day" in panel


def test_no_panel_for_those_who_may_not_see_it(
    client: FlaskClient, writers: dict[str, User], two_posts: tuple[Post, Post], app: Flask
) -> None:
    mine, theirs = two_posts
    assert app.test_client().get(f"/posts/{mine.id}/edit").status_code == 302  # to log in
    as_(client, writers["author"])
    assert client.get(f"/posts/{theirs.id}/edit").status_code == 403
    reader = as_(app.test_client(), writers["reader"])
    assert reader.get(f"/posts/{mine.id}/edit").status_code == 403


def test_figures_are_kept_a_while_and_the_live_count_is_fresh(
    client: FlaskClient, writers: dict[str, User], two_posts: tuple[Post, Post], app: Flask,
    queries: list[str],
) -> None:  # fmt: skip
    from inkstand.extensions import cache

    app.config["ANALYTICS_CACHE_SECONDS"] = 60
    try:
        as_(client, writers["admin"])
        assert "<dd>15</dd>" in client.get("/stats").get_data(as_text=True)
        seed("/", visitor="someone new")
        queries.clear()
        page = client.get("/stats").get_data(as_text=True)
        assert "<dd>15</dd>" in page  # the kept figures...
        assert 'aria-live="polite">6</dd>' in page  # ...with the last five minutes' visitors afresh
        assert len(queries) == 3  # the account, the site settings, the live count
    finally:
        app.config["ANALYTICS_CACHE_SECONDS"] = 0
        cache.clear()
