"""Search over both engines: matching, ranking, highlighting and who finds what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inkstand.blog.models import Status
from inkstand.blog.services import posts, trash
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.search import engines, index, services
from tests.helpers import change


def test_a_title_match_outranks_a_body_match(factory, find):
    author = factory.user()
    factory.post(author, "Notes from the weekend", body="We talked about lighthouses.")
    factory.post(author, "Lighthouses of the north", body="Stone towers by the sea.")
    factory.post(author, "Nothing to see", body="Fields and hedges.")
    assert find("lighthouses") == ["Lighthouses of the north", "Notes from the weekend"]


def test_tags_and_excerpt_are_searched_and_rank_between_title_and_body(factory, find):
    author = factory.user()
    factory.post(author, "Body", body="A word about gardening here.", excerpt="Elsewhere.")
    factory.post(author, "Tagged", body="Nothing.", tags="gardening")
    factory.post(author, "Excerpt", body="Nothing at all.", excerpt="On gardening.")
    factory.post(author, "Gardening", body="Nothing either.")
    assert find("gardening") == ["Gardening", "Tagged", "Excerpt", "Body"]


def test_matched_words_are_marked_in_the_title_and_the_snippet(factory):
    author = factory.user()
    factory.post(author, "Baking bread", body="Long rising bread has the best crust.")
    [hit] = services.search(db.session, None, "bread", utcnow(), 10).page.items
    assert ("bread", True) in hit.title
    assert services.to_text(hit.title) == "Baking bread"
    assert ("bread", True) in hit.snippet
    assert "crust" in services.to_text(hit.snippet)


def test_highlights_are_escaped_so_post_text_cannot_inject_html(factory):
    author = factory.user()
    factory.post(author, "<b>Tags</b> & <script>x</script>", body="Plain `<img src=x>` text.")
    [hit] = services.search(db.session, None, "tags", utcnow(), 10).page.items
    html = str(services.to_html(hit.title))
    assert "<script>" not in html
    assert "<b>" not in html
    assert "<mark>Tags</mark>" in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quick fox", ["Quick brown fox"]),  # every word must match
        ("fox", ["Slow brown fox", "Quick brown fox"]),
        ('"brown fox"', ["Slow brown fox", "Quick brown fox"]),  # a phrase, in order
        ('"fox brown"', []),
        ("fox -quick", ["Slow brown fox"]),  # a word left out
        ('fox -"quick brown"', ["Slow brown fox"]),
        ("qui", ["Quick brown fox"]),  # the last word as the start of a longer one
        ("QUICK FOX", ["Quick brown fox"]),  # case folded
        ("cafe", ["Café crème"]),  # accents folded
        ("CAFÉ", ["Café crème"]),
        ("-fox", []),  # only left-out words: nothing to look for
    ],
)
def test_each_query_form(factory, find, text, expected):
    author = factory.user()
    factory.post(author, "Quick brown fox", body="Jumps.")
    factory.post(author, "Slow brown fox", body="Sleeps.")
    factory.post(author, "Café crème", body="A drink.")
    assert sorted(find(text)) == sorted(expected)


def test_only_the_last_word_matches_as_a_prefix(factory, find):
    author = factory.user()
    factory.post(author, "Toolbox notes", body="Spades.")
    assert find("tool notes") == []
    assert find("notes tool") == ["Toolbox notes"]


def test_drafts_are_found_by_their_author_only_and_marked(factory):
    alice, bob = factory.user(), factory.user()
    factory.post(alice, "Secret plans", status=Status.DRAFT.value)
    factory.post(
        alice, "Future plans", status=Status.PUBLISHED.value,
        publish_at=utcnow() + timedelta(days=3),
    )  # fmt: skip
    factory.post(bob, "Public plans")
    for viewer in (None, bob):
        found = services.search(db.session, viewer, "plans", utcnow(), 10).page.items
        assert [h.post.title for h in found] == ["Public plans"]
    found = services.search(db.session, alice, "plans", utcnow(), 10).page.items
    states = {h.post.title: h.state for h in found}
    assert states == {
        "Secret plans": "draft",
        "Future plans": "scheduled",
        "Public plans": "published",
    }


def test_the_index_follows_every_change_of_a_post(factory, find):
    author = factory.user()
    post = factory.post(author, "Walnut", status=Status.DRAFT.value, body="Shells.")
    assert find("walnut") == []  # a draft: not for others
    assert find("walnut", author) == ["Walnut"]

    change(post, author, status=Status.PUBLISHED.value)  # published
    assert find("walnut") == ["Walnut"]

    change(post, author, title="Chestnut", body="Roasted.", tags="autumn")  # edited
    assert find("walnut") == []
    assert find("chestnut roasted autumn") == ["Chestnut"]

    change(post, author, status=Status.DRAFT.value)  # unpublished
    assert find("chestnut") == []

    later = utcnow() + timedelta(days=1)
    change(post, author, status=Status.PUBLISHED.value, publish_at=later)  # scheduled
    assert find("chestnut") == []
    assert find("chestnut", author) == ["Chestnut"]

    change(post, author, status=Status.PUBLISHED.value, publish_at=utcnow())  # out now
    assert find("chestnut") == ["Chestnut"]

    change(post, author, status=Status.ARCHIVED.value)  # archived: out of search
    assert find("chestnut") == []

    change(post, author, status=Status.PUBLISHED.value)
    assert find("chestnut") == ["Chestnut"]
    posts.delete_post(db.session, author, post.id, utcnow())  # in the trash: found by no one
    assert find("chestnut") == []
    assert find("chestnut", author) == []
    trash.restore(db.session, author, post.id)  # back, and found again
    assert find("chestnut") == ["Chestnut"]
    posts.delete_post(db.session, author, post.id, utcnow())
    trash.purge(db.session, utcnow(), 0)  # purged: out of the index
    assert index.indexed_ids(db.session.connection()) == set()


def test_a_deleted_account_takes_its_posts_out_of_the_index(factory, find):
    author = factory.user()
    post = factory.post(author, "Orphaned words")
    db.session.execute(db.delete(type(author)).where(type(author).id == author.id))
    db.session.commit()
    assert post.id not in index.indexed_ids(db.session.connection())
    assert find("orphaned") == []


def test_results_page_by_a_rank_cursor_without_repeats(factory):
    author = factory.user()
    for n in range(7):
        factory.post(author, f"Apple {n}", body="apple " * (n + 1))
    seen, cursor = [], None
    while True:
        found = services.search(db.session, None, "apple", utcnow(), 3, cursor=cursor)
        seen += [hit.post.title for hit in found.page.items]
        cursor = found.page.older
        if cursor is None:
            break
    assert sorted(seen) == [f"Apple {n}" for n in range(7)]


def test_the_rank_window_ranks_the_newest_matches_and_the_older_follow(factory, find):
    author = factory.user()
    factory.post(author, "Pear", body="old")
    for n in range(3):
        factory.post(author, f"Note {n}", body="pear")
    # The newest two ranked, then the older ones newest first: none left out.
    assert find("pear", window=2) == ["Note 2", "Note 1", "Note 0", "Pear"]
    assert find("pear")[0] == "Pear"  # every match ranked: the title wins


def test_matches_older_than_every_walked_post_fill_the_window_in_order(factory, find, monkeypatch):
    # PostgreSQL walks the newest window * WALKED posts (here 6), then asks its GIN
    # index for the older matches: these are all older than the walk.
    monkeypatch.setattr(engines, "WALKED", 3)
    author = factory.user()
    factory.post(author, "Plum", body="old")  # a title match: it would rank first
    factory.post(author, "Note b", body="plum")
    factory.post(author, "Note c", body="plum")
    for n in range(8):
        factory.post(author, f"Other {n}", body="apricot")
    assert find("plum", window=2) == ["Note c", "Note b", "Plum"]
    assert find("plum", window=2, viewer=author) == ["Note c", "Note b", "Plum"]


def test_the_window_joins_walked_and_older_matches(factory, find, monkeypatch):
    monkeypatch.setattr(engines, "WALKED", 3)  # window 2: the newest 6 posts walked
    author = factory.user()
    other = factory.user()
    factory.post(author, "Plum", body="old")
    factory.post(author, "Note b", body="plum", tags="plum")  # the newest post not walked
    for n in range(3):
        factory.post(author, f"Other {n}", body="apricot")
    factory.post(author, "Note c", body="plum")  # walked: the window's only match there
    factory.post(other, "Note d", body="plum", status="draft")  # walked, not a visitor's
    factory.post(author, "Later", body="apricot")
    # The window is the newest two matches a visitor may see (c, walked; b, older),
    # ranked (b's tag outranks c's body), then the rest by id: each once.
    assert find("plum", window=2) == ["Note b", "Note c", "Plum"]
    assert find("plum", window=2, viewer=other) == ["Note d", "Note c", "Note b", "Plum"]
    assert pages_of("plum", 1, 2) == [["Note b"], ["Note c"], ["Plum"]]


def test_a_window_filled_by_the_newest_posts_leaves_the_older_matches_to_later_pages(
    factory, find, monkeypatch
):
    monkeypatch.setattr(engines, "WALKED", 2)
    author = factory.user()
    factory.post(author, "Quince", body="old")
    for n in range(4):
        factory.post(author, f"Note {n}", body="quince")
    assert find("quince", window=3) == ["Note 3", "Note 2", "Note 1", "Note 0", "Quince"]


def pages_of(text: str, size: int, window: int, viewer=None) -> list[list[str]]:
    pages, cursor = [], None
    for _ in range(20):  # far more than the posts: a cursor that never ends fails
        found = services.search(
            db.session, viewer, text, utcnow(), size, cursor=cursor, window=window
        )
        pages.append([hit.post.title for hit in found.page.items])
        cursor = found.page.older
        if cursor is None:
            return pages
    raise AssertionError(f"the pages never end: {pages}")


@pytest.mark.parametrize(("size", "window"), [(3, 4), (2, 5), (4, 4), (5, 1), (3, 0)])
def test_every_match_is_reachable_through_the_pages(factory, size, window):
    author = factory.user()
    other = factory.user()
    made = [factory.post(author, f"Fig {n}", body="fig " * (1 + n % 3)).title for n in range(11)]
    factory.post(other, "Fig draft", body="fig", status="draft")  # not the visitor's
    pages = pages_of("fig", size, window)
    seen = [title for page in pages for title in page]
    assert sorted(seen) == sorted(made)  # each once, the window's and the older ones
    assert all(len(page) == size for page in pages[:-1])
    assert 0 < len(pages[-1]) <= size
    if window:
        # The ranked window (the newest matches) comes first, then the rest, newest first.
        assert set(seen[:window]) == set(made[-window:])
        assert seen[window:] == made[: len(made) - window][::-1]
    mine = [t for page in pages_of("fig", size, window, viewer=author) for t in page]
    assert sorted(mine) == sorted(made)
    theirs = [t for page in pages_of("fig", size, window, viewer=other) for t in page]
    assert sorted(theirs) == sorted([*made, "Fig draft"])


def test_a_page_past_the_window_costs_one_query(factory, queries):
    author = factory.user()
    for n in range(9):
        factory.post(author, f"Kiwi {n}", body="kiwi")
    first = services.search(db.session, None, "kiwi", utcnow(), 4, window=3)
    second = services.search(
        db.session, None, "kiwi", utcnow(), 4, cursor=first.page.older, window=3
    )
    queries.clear()
    third = services.search(
        db.session, None, "kiwi", utcnow(), 4, cursor=second.page.older, window=3
    )
    assert len(queries) == 1
    assert [hit.post.title for hit in third.page.items] == ["Kiwi 0"]


def test_rebuild_indexes_every_post_again(factory, find):
    author = factory.user()
    factory.post(author, "Rebuilt plum")
    index.clear(db.session.connection())
    db.session.commit()
    assert find("plum") == []
    ticks: list[int] = []
    assert services.rebuild(db.session, progress=ticks.append) == 1
    assert ticks == [1]
    assert find("plum") == ["Rebuilt plum"]


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\x00", "\x00z\x00", "a" * 10_000])
def test_text_no_request_could_carry_is_searched_safely(factory, find, text):
    factory.post(factory.user(), "A plain post")
    assert find(text) == []


def test_the_sqlite_window_names_the_index_of_post_states():
    from inkstand.blog.models import VISIBILITY_INDEX

    assert f"INDEXED BY {VISIBILITY_INDEX} " in engines._SQLITE_WINDOW


def test_the_postgresql_statement_is_built_once_for_each_shape():
    from inkstand.pagination import RankCursor
    from inkstand.search.query import parse

    now = utcnow()
    first, params = engines.postgresql(
        parse("ripe fig"), engines.Visibility(now, None), None, 10, 200, "english"
    )
    again, other = engines.postgresql(
        parse("plum tart"), engines.Visibility(now + timedelta(1), None), None, 4, 200, "simple"
    )
    assert again is first  # the words, the time, the language and the page size are parameters
    assert params | {"required_0": "ripe", "required_1": "'fig':*", "rows": 11} == params
    assert params["language"] == "inkstand_english"
    assert other | {"required_0": "plum", "required_1": "'tart':*", "rows": 5} == other
    assert other["language"] == "inkstand_simple"
    # Other kinds of terms, another viewer, a cursor, no window: other shapes.
    phrase, _ = engines.postgresql(
        parse('"ripe fig" -plum'), engines.Visibility(now, None), None, 10, 200, "english"
    )
    assert phrase is not first
    viewer = engines.Visibility(now, 3)
    assert engines.postgresql(parse("ripe fig"), viewer, None, 10, 200, "english")[0] is not first
    later = engines.postgresql(parse("ripe fig"), viewer, RankCursor(-2.5, 7), 10, 200, "english")
    assert later[1] | {"viewer": 3, "after_rank": -2.5, "after_id": 7} == later[1]
    assert engines.postgresql(parse("ripe fig"), viewer, None, 10, 0, "english")[0] is not first


def test_the_sqlite_statement_is_built_once_for_each_shape():
    from inkstand.pagination import RankCursor
    from inkstand.search.query import parse

    now = utcnow()
    first, params = engines.sqlite(parse("fig"), engines.Visibility(now, None), None, 10, 200)
    again, other = engines.sqlite(
        parse('"ripe fig" -plum'), engines.Visibility(now + timedelta(1), None), None, 4, 200
    )
    assert again is first  # the words, the time and the page size are parameters
    assert (params["fts"], params["rows"]) == (engines.fts_query(parse("fig")), 11)
    assert (other["fts"], other["rows"]) == (engines.fts_query(parse('"ripe fig" -plum')), 5)
    viewer = engines.Visibility(now, 3)
    assert engines.sqlite(parse("fig"), viewer, None, 10, 200)[0] is not first
    later = engines.sqlite(parse("fig"), viewer, RankCursor(-2.5, 7), 10, 200)
    assert later[1] | {"viewer": 3, "after_rank": -2.5, "after_id": 7} == later[1]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("text", ["ripe fig", '"ripe fig" -plum', "ripe -fig"])
@pytest.mark.parametrize("window", [200, 0])
def test_postgresql_makes_the_tsquery_once_not_for_each_post_it_tests(factory, text, window):
    """Each post the window walks is tested against the query: the words are parsed
    into a tsquery once per statement, never again in a condition on each row."""
    from inkstand.search.query import parse

    factory.post(factory.user(), "Ripe fig", body="A ripe fig.")
    stmt, params = engines.postgresql(
        parse(text), engines.Visibility(utcnow(), None), None, 10, window, "english"
    )
    compiled = stmt.compile(dialect=db.engine.dialect)
    plan = db.session.connection().exec_driver_sql(
        f"EXPLAIN (VERBOSE) {compiled}", compiled.construct_params(params)
    )
    conditions = [line for (line,) in plan if "Filter:" in line or "Cond:" in line]
    assert any("@@" in line for line in conditions)
    assert not [line for line in conditions if "to_tsquery(" in line], conditions
