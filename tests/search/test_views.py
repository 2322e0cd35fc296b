"""The search form on every page and the results page."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkstand.blog.models import Status
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import login

# The site settings, then the results with their authors: whatever the data size.
SEARCH_QUERIES = 2


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/", "/search", "/login", "/no-such-page"])
def test_every_page_has_a_labelled_get_search_form(client, url):
    html = client.get(url).get_data(as_text=True)
    form = re.search(r'<form class="site-search" method="get" action="/search"[^>]*>(.*?)</form>',
                     html, re.S)  # fmt: skip
    assert form, html[:1000]
    assert '<label for="site-search-q"' in form[1]
    assert 'id="site-search-q" name="q"' in form[1]


def test_results_are_ranked_and_highlighted(client, factory):
    author = factory.user()
    factory.post(author, "Notes", body="Something about sourdough bread.")
    factory.post(author, "Sourdough at home", body="Flour and water.")
    html = _page(client, "/search?q=sourdough")
    assert html.index("<mark>Sourdough</mark> at home") < html.index("Notes")
    assert "about <mark>sourdough</mark> bread" in html
    assert "<title>Search: sourdough" in html


def test_post_text_cannot_inject_html_through_a_highlight(client, factory):
    author = factory.user()
    factory.post(author, "Evil <img src=x onerror=alert(1)>", body="<script>alert(2)</script> evil")
    html = _page(client, "/search?q=evil")
    assert "<img src=x" not in html
    assert "<script>alert" not in html
    assert "<mark>Evil</mark> &lt;img src=x onerror=alert(1)&gt;" in html


def test_no_results_and_no_words_say_so(client, factory):
    factory.post(factory.user(), "Something")
    assert "No posts match “zebra”" in _page(client, "/search?q=zebra")
    assert "Type a word to search for" in _page(client, "/search?q=-something")
    assert "Type what you are looking for" in _page(client, "/search")


def test_a_logged_in_author_finds_her_drafts_marked_and_no_one_elses(client, factory):
    alice, bob = factory.user(), factory.user()
    factory.post(alice, "Draft about moths", status=Status.DRAFT.value)
    factory.post(bob, "Bob's draft about moths", status=Status.DRAFT.value)
    factory.post(bob, "Published moths")
    login(client, alice)
    html = _page(client, "/search?q=moths")
    assert '<span class="badge badge-draft">Draft</span>' in html
    assert "Draft about moths" in html.replace("<mark>", "").replace("</mark>", "")
    assert "Bob&#39;s draft" not in html
    assert "Published" in html


def test_results_page_through_a_rank_cursor(client, factory):
    author = factory.user()
    site.configure(db.session, "posts_per_page", "2")
    for n in range(5):
        factory.post(author, f"Kiwi {n}")
    seen: list[str] = []
    url = "/search?q=kiwi"
    while url:
        html = _page(client, url)
        seen += re.findall(r"<mark>Kiwi</mark> (\d)", html)
        more = re.search(r'<a rel="next" href="([^"]+)"', html)
        url = more[1].replace("&amp;", "&") if more else ""
    assert sorted(seen) == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize("cursor", ["nonsense", "A" * 16, "%00", "x" * 500, "////////////////"])
def test_a_bad_cursor_gets_a_clear_400_page(client, cursor):
    html = _page(client, f"/search?q=kiwi&cursor={cursor}", 400)
    assert "This page link is broken or out of date." in html


def _count(client, queries, url: str) -> int:
    queries.clear()
    _page(client, url)
    return len(queries)


def test_query_count_is_fixed_whatever_the_number_of_posts(client, factory, queries):
    author = factory.user()
    factory.post(author, "Only one lemon")
    small = _count(client, queries, "/search?q=lemon+tart")
    for n in range(25):
        factory.post(author, f"Lemon tart {n}", body="lemon " * (n + 1), tags="lemon, tart")
    large = _count(client, queries, "/search?q=lemon+tart")
    assert small == large == SEARCH_QUERIES


HOSTILE = [
    '"open quote', 'a "b', '"', '""', "-", "--", "- -", "-a", "AND", "OR NOT", "NEAR(a b)",
    "title:foo", "a*", "*", "^a", "(", ")", "{a b}:c", "a + b", "'; DROP TABLE posts; --",
    "' OR 1=1 --", "\x00", "a\x00b", "\x01\x1f\x7f", "\ud800", "a\udfffb", "é" * 5000,
    "word " * 2000, "<script>", "%", "_", "\\", "😀", "ǅ", "ﬁ",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_give_a_page_never_a_500(client, factory, text):
    factory.post(factory.user(), "A post about words")
    html = _page(client, "/search?q=" + quote(text, errors="surrogatepass"))
    assert "Search" in html


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=300))
def test_any_text_gives_results_or_none_never_a_500(client, factory, text):
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet=st.sampled_from("ab \"-*():^+\\'\x00é"), max_size=40))
def test_any_mix_of_query_syntax_is_read_safely(client, text):
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
