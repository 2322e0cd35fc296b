"""Importing a Ghost export: posts and pages with Markdown (mobiledoc or Lexical cards),
HTML, tags (not Ghost's internal "#" tags), authors by posts_authors, states and dates;
both the old (0.x: milliseconds, "markdown", "page") and the new (5.x) shapes; twice
without duplicates; hostile files refused with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.extensions import db
from inkstand.moving.models import ImportedItem, RunState
from inkstand.pages.models import Page, PageRevision


def _mobiledoc(markdown: str) -> str:
    return json.dumps(
        {
            "version": "0.3.1",
            "atoms": [],
            "markups": [],
            "sections": [[10, 0]],
            "cards": [["markdown", {"markdown": markdown}]],
        }
    )


def _lexical(markdown: str) -> str:
    return json.dumps(
        {
            "root": {
                "children": [{"type": "markdown", "version": 1, "markdown": markdown}],
                "direction": None,
                "format": "",
                "indent": 0,
                "type": "root",
                "version": 1,
            }
        }
    )


def ghost_export() -> dict:
    """A Ghost 5 export in the shape Ghost writes (db[0].meta and db[0].data)."""
    return {
        "db": [
            {
                "meta": {"exported_on": 1717243200000, "version": "5.82.0"},
                "data": {
                    "posts": [
                        {
                            "id": "6650a1",
                            "uuid": "0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0001",
                            "title": "Mobiledoc post",
                            "slug": "mobiledoc-post",
                            "mobiledoc": _mobiledoc("# Hello\n\nSome *Markdown* — ünïcode."),
                            "lexical": None,
                            "html": "<h1>Hello</h1>",
                            "status": "published",
                            "type": "post",
                            "visibility": "public",
                            "featured": True,
                            "custom_excerpt": "An excerpt.",
                            "created_at": "2024-05-01T10:00:00.000Z",
                            "updated_at": "2024-05-02T10:00:00.000Z",
                            "published_at": "2024-05-01T12:00:00.000Z",
                        },
                        {
                            "id": "6650a2",
                            "uuid": "0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0002",
                            "title": "Lexical HTML post",
                            "slug": "lexical-html",
                            "mobiledoc": None,
                            "lexical": json.dumps(
                                {"root": {"children": [{"type": "paragraph", "children": []}]}}
                            ),
                            "html": "<p>From <em>HTML</em>.</p><script>alert(1)</script>",
                            "status": "draft",
                            "type": "post",
                            "visibility": "members",
                            "featured": False,
                            "created_at": "2024-05-03T10:00:00.000Z",
                            "updated_at": "2024-05-03T10:00:00.000Z",
                            "published_at": None,
                        },
                        {
                            "id": "6650a3",
                            "uuid": "0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0003",
                            "title": "Lexical Markdown",
                            "slug": "lexical-markdown",
                            "lexical": _lexical("A **card**."),
                            "html": "",
                            "status": "scheduled",
                            "type": "post",
                            "created_at": "2024-05-04T10:00:00.000Z",
                            "updated_at": "2024-05-04T10:00:00.000Z",
                            "published_at": "2099-05-04T10:00:00.000Z",
                        },
                        {
                            "id": "6650a4",
                            "uuid": "0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0004",
                            "title": "About",
                            "slug": "about",
                            "html": "<p>We are.</p>\n",
                            "status": "published",
                            "type": "page",
                            "created_at": "2024-01-01T00:00:00.000Z",
                            "updated_at": "2024-01-01T00:00:00.000Z",
                            "published_at": "2024-01-01T00:00:00.000Z",
                        },
                        {
                            "id": "6650a5",
                            "uuid": "0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0005",
                            "title": "Odd",
                            "slug": "odd",
                            "html": "<p>x</p>",
                            "status": "limbo",
                            "type": "post",
                        },
                        {
                            "id": "6650a6",
                            "uuid": "0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0006",
                            "title": "Bad date",
                            "slug": "bad-date",
                            "html": "<p>x</p>",
                            "status": "published",
                            "type": "post",
                            "published_at": "the day after",
                        },
                    ],
                    "tags": [
                        {"id": "t1", "name": "Getting Started", "slug": "getting-started"},
                        {"id": "t2", "name": "#internal", "slug": "hash-internal"},
                        {"id": "t3", "name": "Ünïcode", "slug": "unicode"},
                    ],
                    "posts_tags": [
                        {"id": "pt1", "post_id": "6650a1", "tag_id": "t3", "sort_order": 1},
                        {"id": "pt2", "post_id": "6650a1", "tag_id": "t1", "sort_order": 0},
                        {"id": "pt3", "post_id": "6650a1", "tag_id": "t2", "sort_order": 2},
                    ],
                    "users": [
                        {
                            "id": "u1",
                            "name": "Gina Ghost",
                            "slug": "gina",
                            "email": "gina@ghost.example",
                            "bio": "Writes <b>things</b>.",
                        },
                        {"id": "u2", "name": "Hal", "slug": "hal", "email": "hal@ghost.example"},
                    ],
                    "posts_authors": [
                        {"id": "pa1", "post_id": "6650a1", "author_id": "u1", "sort_order": 0},
                        {"id": "pa2", "post_id": "6650a1", "author_id": "u2", "sort_order": 1},
                        {"id": "pa3", "post_id": "6650a2", "author_id": "u2", "sort_order": 0},
                        {"id": "pa4", "post_id": "6650a4", "author_id": "u1", "sort_order": 0},
                    ],
                },
            }
        ]
    }


def _post(slug: str) -> Post:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    assert post is not None, slug
    return post


def test_a_ghost_export_is_imported_field_by_field(run_file, admin):
    run, report = run_file(json.dumps(ghost_export()).encode(), "ghost")
    assert run.state == RunState.DONE, report
    gina = db.session.scalar(select(User).where(User.username == "gina"))
    hal = db.session.scalar(select(User).where(User.username == "hal"))
    assert (gina.email, gina.display_name, gina.bio, gina.password_hash) == (
        "gina@ghost.example",
        "Gina Ghost",
        "Writes things.",
        "",
    )

    first = _post("mobiledoc-post")
    assert first.body_source == "# Hello\n\nSome *Markdown* — ünïcode."
    assert (first.author_id, first.status, first.featured) == (gina.id, "published", True)
    assert first.published_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert first.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert first.updated_at == datetime(2024, 5, 2, 10, tzinfo=UTC)
    assert first.tag_names == "getting-started,ünïcode"  # in Ghost's order, no "#internal"
    assert first.excerpt == "An excerpt."

    second = _post("lexical-html")
    assert second.body_source == "From *HTML*."  # the script is gone
    assert (second.status, second.published_at, second.author_id) == ("draft", None, hal.id)
    scheduled = _post("lexical-markdown")
    assert scheduled.body_source == "A **card**."
    assert scheduled.published_at == datetime(2099, 5, 4, 10, tzinfo=UTC)
    page = db.session.scalar(select(Page).where(Page.slug == "about"))
    assert page is not None
    assert (page.title, page.body_source, page.status, page.author_id) == (
        "About",
        "We are.",
        "published",
        gina.id,
    )
    assert page.body_html == "<p>We are.</p>\n"
    assert page.published_at == page.created_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert page.updated_at == datetime(2024, 1, 1, tzinfo=UTC)
    revisions = db.session.scalars(select(PageRevision).where(PageRevision.page_id == page.id))
    assert [(r.number, r.title, r.slug, r.status, r.editor_id) for r in revisions] == [
        (1, "About", "about", "published", gina.id)
    ]
    assert db.session.scalar(select(Post).where(Post.slug == "about")) is None  # not a post
    key = db.session.scalar(select(ImportedItem).where(ImportedItem.kind == "page"))
    assert (key.source_id, key.target_id) == ("0b6c1f5e-1c1a-4f43-9d4b-1b2f8f1a0004", page.id)
    assert report["created"]["page (published)"] == 1

    assert {(s["title"], s["reason"]) for s in report["skipped"]} == {
        ("Odd", "its state 'limbo' is unknown"),
        ("Bad date", "it is published but has no valid date"),
    }
    notes = {n["note"] for n in report["notes"]}
    assert "for members only on Ghost: public here" in notes
    assert not any("kept as a post" in note for note in notes)


def test_the_old_ghost_shape_is_read_too(run_file):
    old = {
        "meta": {"exported_on": 1426263451924, "version": "003"},
        "data": {
            "posts": [
                {
                    "id": 1,
                    "uuid": "d15e5c91-0083-4d56-a20c-f95832e2b88b",
                    "title": "Welcome",
                    "slug": "welcome",
                    "markdown": "You're *live*!",
                    "html": "<p>You're live!</p>",
                    "page": 0,
                    "status": "published",
                    "author_id": 1,
                    "created_at": 1426078349135,
                    "updated_at": 1426078349135,
                    "published_at": 1426078349156,
                }
            ],
            "users": [{"id": 1, "name": "Cozy", "slug": "cozy", "email": "cozy@example.org"}],
            "tags": [],
            "posts_tags": [],
        },
    }
    run_file(json.dumps(old).encode(), "ghost")
    post = _post("welcome")
    assert post.body_source == "You're *live*!"
    assert post.published_at == datetime(2015, 3, 11, 12, 52, 29, 156000, tzinfo=UTC)
    cozy = db.session.scalar(select(User).where(User.username == "cozy"))
    assert post.author_id == cozy.id


def test_a_second_ghost_run_creates_nothing_twice(run_file):
    data = json.dumps(ghost_export()).encode()
    run_file(data, "ghost")
    count = db.session.scalar(select(func.count()).select_from(Post))
    _run, report = run_file(data, "ghost")
    assert db.session.scalar(select(func.count()).select_from(Post)) == count
    assert report["created"] == {}
    assert report["already"] == {"author": 2, "post": 3, "page": 1}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[]", 'no "data"'),
        (b'{"db": [{"data": {"posts": 5}}]}', '"posts" is not a list'),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
    ],
)
def test_a_file_that_is_not_a_ghost_export_fails_with_a_reason(run_file, data, reason):
    run, report = run_file(data, "ghost")
    assert run.state == RunState.FAILED
    assert reason in report["error"]
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_odd_values_in_the_links_are_not_an_error(run_file):
    data = ghost_export()
    data["db"][0]["data"]["posts_tags"][0]["sort_order"] = "first"
    data["db"][0]["data"]["posts"][0]["published_at"] = 10**20  # milliseconds past any year
    run, report = run_file(json.dumps(data).encode(), "ghost")
    assert run.state == RunState.DONE
    assert ("Mobiledoc post", "it is published but has no valid date") in {
        (s["title"], s["reason"]) for s in report["skipped"]
    }


def test_links_to_the_old_site_lead_to_the_imported_posts(run_file, client):
    """Ghost writes its own address as __GHOST_URL__ in exported bodies; a link to
    another post then leads to it here, through the redirect from its old address."""
    export = ghost_export()
    first = export["db"][0]["data"]["posts"][0]
    first["mobiledoc"] = _mobiledoc("See [the other one](__GHOST_URL__/lexical-markdown/).")
    about = export["db"][0]["data"]["posts"][3]
    about["html"] = '<p>Start <a href="__GHOST_URL__/mobiledoc-post/">here</a>.</p>'
    run_file(json.dumps(export).encode(), "ghost")

    assert 'href="/lexical-markdown/"' in _post("mobiledoc-post").body_html
    page = db.session.scalar(select(Page).where(Page.slug == "about"))
    assert 'href="/mobiledoc-post/"' in page.body_html
    assert "__GHOST_URL__" not in page.body_source
    moved = client.get("/mobiledoc-post/")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/posts/{_post('mobiledoc-post').slug}")
