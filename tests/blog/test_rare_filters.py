"""Lists filtered by a tag, an author or a reader's favourites: a rare filter is read
from its own index, a common one walks the posts newest first, an unknown name reads
no posts. Each shape lists the same posts in the same order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inkstand.blog import reading
from inkstand.blog.models import Status
from inkstand.blog.services import favourites
from inkstand.db import utcnow
from inkstand.extensions import db

SHAPES = {"rare": 1000, "common": -1}  # reading.RARE: every filter rare, or none


@pytest.fixture
def site(factory):
    """Two authors, a reader, and posts in every state, several at the same moment."""
    ada = factory.user("author", username="ada")
    bea = factory.user("author", username="bea")
    cyd = factory.user("reader", username="cyd")
    now = utcnow()
    same = now - timedelta(hours=3)
    made = []
    for n in range(7):
        at = same if n in (2, 3, 4) else now - timedelta(days=n + 1)
        author = ada if n % 2 else bea
        coauthors = ["ada"] if n == 6 else []
        made.append(factory.post(author, f"Listed {n}", tags="x,y", coauthors=coauthors, now=at))
    factory.post(ada, "Draft", tags="x", status=Status.DRAFT.value)
    factory.post(ada, "Archived", tags="x", status=Status.ARCHIVED.value)
    factory.post(ada, "Scheduled", tags="x", publish_at=now + timedelta(days=1))
    factory.post(ada, "Trashed", tags="x").deleted_at = now
    for post in made[::2]:
        favourites.favourite(db.session, cyd, post.id)
    db.session.commit()
    return ada


def _titles(posts):
    return [p.title for p in posts]


def _numbered(filters):
    now = utcnow()
    pages = [reading.numbered(db.session, now, filters, 2, offset) for offset in (0, 2, 4, 6)]
    return [_titles(page) for page in pages], reading.count(db.session, now, filters).number


def _keyset(read):
    """Every page of a keyset list, forward then back from the last."""
    pages, before = [], None
    while True:
        page = read(before=before)
        pages.append(_titles(page.items))
        if page.older is None:
            break
        before = page.older
    back, after = [], page.newer
    while after is not None:
        page = read(after=after)
        back.append(_titles(page.items))
        after = page.newer
    return pages, back


def _every_list(site):
    now = utcnow()
    found = {}
    for filters in [
        reading.Filters(tag="X"),
        reading.Filters(tag="y", author="ADA"),
        reading.Filters(author="ada"),
        reading.Filters(favourited_by="cyd"),
        reading.Filters(tag="x", favourited_by="cyd"),
    ]:
        found[repr(filters)] = _numbered(filters)
    found["by_tag"] = _keyset(
        lambda **at: reading.by_tag(db.session, "x", now, 2, **at)[1]  # type: ignore[misc]
    )
    found["by_author"] = _keyset(lambda **at: reading.by_author(db.session, site, now, 2, **at))
    found["listing"] = _keyset(
        lambda before=None, after=None: reading.listing(
            db.session, None, now, 2, tag="x", author="ada", before=before
        )
    )
    return found


def test_both_shapes_list_the_same_posts_in_the_same_order(site, monkeypatch):
    monkeypatch.setattr(reading, "RARE", SHAPES["rare"])
    rare = _every_list(site)
    monkeypatch.setattr(reading, "RARE", SHAPES["common"])
    assert _every_list(site) == rare
    # Three posts share a moment: by id, newest first.
    newest_first = ["Listed 4", "Listed 3", "Listed 2", "Listed 0", "Listed 1", "Listed 5"]
    expected = [newest_first[:2], newest_first[2:4], newest_first[4:], []]
    assert rare[repr(reading.Filters(tag="X"))][0][:3] == expected[:3]
    assert rare[repr(reading.Filters(tag="X"))] == ([*expected[:3], ["Listed 6"]], 7)
    assert rare["by_author"][0] == [
        ["Listed 3", "Listed 1"],
        ["Listed 5", "Listed 6"],
    ]
    assert rare[repr(reading.Filters(favourited_by="cyd"))][1] == 4


@pytest.mark.parametrize("shape", SHAPES)
def test_the_shape_follows_the_filters_size(site, monkeypatch, queries, shape):
    monkeypatch.setattr(reading, "RARE", SHAPES[shape])
    queries.clear()
    reading.by_tag(db.session, "x", utcnow(), 2)
    listed = queries[-1]
    assert ("MATERIALIZED" in listed) == (shape == "rare"), listed


def test_a_filter_is_rare_up_to_its_limit(site, monkeypatch):
    monkeypatch.setattr(reading, "RARE", 7)  # tag y: 7 posts
    assert reading.narrow(db.session, reading.Filters(tag="y")).fewest == "tag"
    monkeypatch.setattr(reading, "RARE", 6)
    assert reading.narrow(db.session, reading.Filters(tag="y")).fewest is None
    # The rarest of several: cyd favourited 4 posts, ada wrote or co-wrote 4.
    monkeypatch.setattr(reading, "RARE", 4)
    both = reading.narrow(db.session, reading.Filters(tag="y", favourited_by="cyd"))
    assert both.fewest == "favourited_by"


@pytest.mark.parametrize(
    "filters",
    [
        reading.Filters(tag="unknown"),
        reading.Filters(author="nobody"),
        reading.Filters(favourited_by="nobody"),
        reading.Filters(tag="x", author="nobody"),
    ],
)
def test_an_unknown_name_reads_no_posts(site, queries, filters):
    queries.clear()
    assert reading.narrow(db.session, filters) is None
    assert len(queries) == 1
    assert reading.numbered(db.session, utcnow(), filters, 10, 0) == []
    assert reading.count(db.session, utcnow(), filters) == reading.Count(0, None)
    assert len(queries) == 3  # each resolved the names once, and read no posts


def test_the_api_lists_nothing_for_an_unknown_name_in_one_query(client, site, queries):
    for query in ("tag=unknown", "author=nobody", "tag=x&author=nobody"):
        queries.clear()
        response = client.get(f"/api/v1/posts?{query}")
        assert response.get_json()["posts"] == []
        # The names are resolved (counting their rows, up to a cap), no list is read.
        reads = [q for q in queries if "FROM posts" in q or "JOIN posts" in q]
        assert all(q.startswith("SELECT (SELECT") for q in reads), reads
