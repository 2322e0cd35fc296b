"""Post settings: search-engine title and description, canonical address, featured
posts on the home page, and co-authors, through the service, the pages, the feeds
and the native API; who may do what to a co-written post, per role."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from inkstand.accounts import tokens
from inkstand.blog.models import Post, Revision, post_authors
from inkstand.blog.services import settings
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid
from inkstand.extensions import db
from tests.helpers import (
    PAGE_BUDGETS,
    assert_form_error,
    bearer,
    bulk_posts,
    change,
    change_account,
    count_queries,
    form_values,
    fresh,
    login,
    post_titles,
    stored,
    submit,
)


def _json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html)[1])


# Search engines and the canonical address


def test_meta_title_and_description_are_what_search_engines_and_social_sites_see(client, factory):
    post = factory.post(
        factory.user(), "Plain title", meta_title="A title for searching",
        meta_description="What the post is about, in a sentence.", excerpt="The excerpt.",
    )  # fmt: skip
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "<title>A title for searching · " in html
    assert '<meta name="description" content="What the post is about, in a sentence.">' in html
    assert '<meta property="og:title" content="A title for searching">' in html
    assert '<meta property="og:description" content="What the post is about' in html
    assert "<h1>Plain title</h1>" in html  # readers still see the title
    data = _json_ld(html)
    assert data["headline"] == "A title for searching"
    assert data["description"] == "What the post is about, in a sentence."


def test_without_settings_the_title_and_excerpt_are_used(client, factory):
    post = factory.post(factory.user(), "Only a title", excerpt="Only an excerpt.")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "<title>Only a title · " in html
    assert '<meta property="og:description" content="Only an excerpt.">' in html
    assert f'rel="canonical" href="http://inkstand.test/posts/{post.slug}"' in html


def test_canonical_url_names_where_the_post_was_first_published(client, factory):
    first = "https://elsewhere.example/2024/first?ref=a&b=1"
    post = factory.post(factory.user(), "Reposted", canonical_url=first)
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    shown = "https://elsewhere.example/2024/first?ref=a&amp;b=1"
    assert f'<link rel="canonical" href="{shown}">' in html
    assert html.count('rel="canonical"') == 1
    data = _json_ld(html)
    assert data["mainEntityOfPage"]["@id"] == first
    assert data["url"] == f"http://inkstand.test/posts/{post.slug}"
    # Feeds link to the post here, as they always do: a reader follows it to this site.
    atom = client.get("/atom.xml").get_data(as_text=True)
    assert f'href="http://inkstand.test/posts/{post.slug}"' in atom


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example/post",
        "/posts/relative",
        "elsewhere.example/post",
        "https://",
        "https://exa mple.com/",
        "https://example.com:0/",
        "https://example.com:99999/",
        "http://[::1/",
        "https://example.com/\x01",
        "https://example.com/" + "a" * settings.CANONICAL_URL_MAX,
    ],
)
def test_a_canonical_url_must_be_an_absolute_web_address(factory, url):
    author = factory.user()
    before = stored()
    with pytest.raises(Invalid) as refused:
        factory.post(author, "Bad address", canonical_url=url)
    assert "canonical_url" in refused.value.errors
    assert stored() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("meta_title", "t" * 201, "Field cannot be longer than 200 characters."),
        ("meta_title", "Tab\x0bbed", "Use at most 200 printable characters."),
        ("meta_description", "d" * 501, "Field cannot be longer than 500 characters."),
        ("canonical_url", "mailto:ada@example.com", "Give a whole web address"),
        ("coauthors", "nobody-by-that-name", "No account is named nobody-by-that-name."),
    ],
)
def test_bad_settings_are_form_errors_and_nothing_is_saved(client, factory, field, value, message):
    author = factory.user()
    post = factory.post(author, "Kept")
    login(client, author)
    page = f"/posts/{post.id}/edit"
    before = stored()
    response = client.post(page, data={**form_values(client, page), field: value})
    assert_form_error(response, message)
    assert '<details class="post-settings" id="post-settings" open>' in response.get_data(
        as_text=True
    )
    assert stored() == before


def test_the_settings_section_works_without_javascript(client, factory):
    author = factory.user()
    factory.user(username="bea")
    post = factory.post(author, "Settable")
    login(client, author)
    page = f"/posts/{post.id}/edit"
    html = client.get(page).get_data(as_text=True)
    assert '<details class="post-settings" id="post-settings">' in html  # closed, still sent
    response = client.post(page, data={
        **form_values(client, page), "meta_title": "Searchable", "featured": "y",
        "canonical_url": " https://first.example/p ", "coauthors": "@bea",
    })  # fmt: skip
    assert response.status_code == 302
    saved = fresh(select(Post).where(Post.id == post.id))
    assert (saved.meta_title, saved.featured, saved.canonical_url) == (
        "Searchable", True, "https://first.example/p",
    )  # fmt: skip
    assert [u.username for u in saved.coauthors] == ["bea"]
    shown = form_values(client, page)
    assert shown["coauthors"] == "bea"
    assert shown["featured"] == "y"


def test_revisions_record_the_settings(factory):
    author, bea = factory.user(), factory.user(username="bea")
    post = factory.post(author, "Recorded")
    change(post, author, meta_title="Meta", canonical_url="https://a.example/", featured=True,
           coauthors=["bea"], meta_description="About")  # fmt: skip
    latest = fresh(
        select(Revision).where(Revision.post_id == post.id).order_by(Revision.number.desc())
    )
    assert (latest.meta_title, latest.meta_description, latest.canonical_url) == (
        "Meta", "About", "https://a.example/",
    )  # fmt: skip
    assert latest.featured is True
    assert latest.coauthors_text == bea.username


# Featured posts


def test_featured_posts_have_their_own_block_on_the_first_page_only(client, factory):
    author = factory.user()
    factory.post(author, "Ordinary")
    factory.post(author, "Special", featured=True)
    factory.post(author, "Featured draft", featured=True, status="draft")
    first = client.get("/").get_data(as_text=True)
    block, rest = first.split('<section class="featured"')[1].split("</section>")
    assert post_titles(block) == ["Special"]
    assert "Latest posts" in rest
    assert post_titles(rest) == ["Ordinary"]  # not shown twice
    bulk_posts(author, 30)
    older = re.search(r'href="(/\?before=[^"]+)"', client.get("/").get_data(as_text=True))[1]
    assert 'class="featured"' not in client.get(older).get_data(as_text=True)


def test_no_featured_block_without_featured_posts(client, factory):
    factory.post(factory.user(), "Ordinary")
    assert 'class="featured"' not in client.get("/").get_data(as_text=True)


def test_featured_block_costs_one_query_whatever_the_number_of_posts(client, factory, queries):
    author, bea = factory.user(), factory.user(username="bea")
    for n in range(4):
        factory.post(author, f"Featured {n}", featured=True, coauthors=["bea"])
    small = count_queries(client, queries, "/")
    bulk_posts(author, 200)
    for n in range(5):
        factory.post(bea, f"More {n}", featured=True, coauthors=[author.username])
    large = count_queries(client, queries, "/")
    assert small == large == PAGE_BUDGETS["home"]


# Co-authors


def test_every_author_is_shown_wherever_the_post_is(client, factory):
    ada = factory.user(username="ada")
    for person, name in ((ada, "Ada L"), (factory.user(username="bea"), "Bea M"),
                         (factory.user(username="cyd"), "Cy N")):  # fmt: skip
        change_account(person, display_name=name)
    post = factory.post(ada, "Written together", coauthors=["bea", "cyd"], tags="team")
    byline = (
        '<a href="/authors/ada">Ada L</a>, <a href="/authors/bea">Bea M</a> and '
        '<a href="/authors/cyd">Cy N</a>'
    )
    for url in (f"/posts/{post.slug}", "/", "/tags/team", "/authors/bea", "/search?q=together"):
        assert byline in client.get(url).get_data(as_text=True), url
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert [a["name"] for a in _json_ld(html)["author"]] == ["Ada L", "Bea M", "Cy N"]
    assert html.count('property="article:author"') == 3
    for feed in ("/atom.xml", "/authors/cyd/atom.xml"):
        atom = client.get(feed).get_data(as_text=True)
        assert re.findall(r"<author>\s*<name>([^<]+)</name>", atom) == ["Ada L", "Bea M", "Cy N"]
    rss = client.get("/rss.xml").get_data(as_text=True)
    assert rss.count("<dc:creator>") == 3
    body = client.get(f"/api/v1/posts/{post.id}").get_json()
    assert body["author"]["username"] == "ada"
    assert [a["username"] for a in body["authors"]] == ["ada", "bea", "cyd"]
    listed = client.get("/api/v1/posts?author=cyd").get_json()["posts"]
    assert [p["id"] for p in listed] == [post.id]


def test_co_author_pages_keep_their_query_budgets(client, factory, queries):
    ada, bea = factory.user(username="ada"), factory.user(username="bea")
    post = factory.post(ada, "Shared", coauthors=["bea"], tags="team")
    urls = ["/", f"/posts/{post.slug}", "/tags/team", "/authors/bea"]
    small = [count_queries(client, queries, url) for url in urls]
    bulk_posts(ada, 100)
    for n in range(10):
        factory.post(bea, f"Hers {n}", coauthors=["ada"], tags="team")
    large = [count_queries(client, queries, url) for url in urls]
    assert small == large == [PAGE_BUDGETS[p] for p in ("home", "post", "tag", "author")]


def test_co_authors_must_be_writers(factory):
    ada, rita = factory.user(), factory.user("reader", "rita")
    with pytest.raises(Invalid, match="Only writers can co-author: rita"):
        factory.post(ada, "Not with a reader", coauthors=["rita"])
    assert rita is not None


def test_naming_the_owner_or_a_name_twice_keeps_one_of_each(factory):
    ada, bea = factory.user(username="ada"), factory.user(username="bea")
    post = factory.post(ada, "Once", coauthors=["@Bea", "bea", "ada", " "])
    assert [u.id for u in post.authors] == [ada.id, bea.id]
    rows = db.session.execute(
        select(post_authors.c.user_id).where(post_authors.c.post_id == post.id)
    )
    assert [r[0] for r in rows] == [bea.id]


def test_at_most_so_many_co_authors(factory):
    ada = factory.user()
    names = [factory.user().username for _ in range(settings.COAUTHORS_MAX + 1)]
    with pytest.raises(Invalid, match="at most"):
        factory.post(ada, "Crowded", coauthors=names)


def test_a_co_author_may_not_change_the_authors(factory):
    ada, bea, cy = factory.user(), factory.user(username="bea"), factory.user(username="cyd")
    post = factory.post(ada, "Shared", coauthors=["bea"])
    with pytest.raises(Forbidden):
        change(post, bea, coauthors=["bea", "cyd"])
    edited = change(post, bea, title="Edited by Bea", coauthors=["bea"])  # unchanged: fine
    assert edited.title == "Edited by Bea"
    assert [u.username for u in fresh(select(Post).where(Post.id == post.id)).coauthors] == ["bea"]
    assert cy is not None


# Who may do what to a co-written post, per role, through the site and the native API

ROLES = ["reader", "owner", "co-author", "other author", "editor", "admin"]
EDIT = {"reader": False, "owner": True, "co-author": True, "other author": False,
        "editor": True, "admin": True}  # fmt: skip
CHOOSE = {**EDIT, "co-author": False}
DELETE = CHOOSE


@pytest.fixture
def shared(factory):
    """A draft owned by "owner" and co-written by "co-author", and an account per role."""
    people = {
        "reader": factory.user("reader"),
        "owner": factory.user("author", "owner"),
        "co-author": factory.user("author", "coauthor"),
        "other author": factory.user("author"),
        "editor": factory.user("editor"),
        "admin": factory.user("admin"),
    }
    factory.user("author", "newcomer")
    post = factory.post(people["owner"], "Co-written", status="draft", coauthors=["coauthor"])
    return people, post


@pytest.mark.parametrize("role", ROLES)
def test_editing_a_co_written_post_through_the_site(client, shared, role):
    people, post = shared
    login(client, people[role])
    page = f"/posts/{post.id}/edit"
    response = client.get(page)
    assert response.status_code == (200 if EDIT[role] else 404)  # a draft is not revealed
    if not EDIT[role]:
        return
    html = response.get_data(as_text=True)
    assert ('name="coauthors"' in html) is CHOOSE[role]
    sent = {**form_values(client, page), "title": f"Edited by {role}"}
    assert client.post(page, data=sent).status_code == 302
    assert fresh(select(Post.title).where(Post.id == post.id)) == f"Edited by {role}"
    if CHOOSE[role]:
        sent = {**form_values(client, page), "coauthors": "coauthor, newcomer"}
        assert client.post(page, data=sent).status_code == 302
        names = [u.username for u in fresh(select(Post).where(Post.id == post.id)).coauthors]
        assert names == ["coauthor", "newcomer"]
    deleted = submit(client, f"/posts/{post.id}/delete", page="/manage")
    assert deleted.status_code == (302 if DELETE[role] else 403)
    assert (fresh(select(Post.deleted_at).where(Post.id == post.id)) is not None) is DELETE[role]


@pytest.mark.parametrize("role", ROLES)
def test_changing_a_co_written_post_through_the_api(client, shared, role):
    people, post = shared
    token = tokens.create(db.session, people[role], "tests", "read-write", utcnow())[1]
    url, headers = f"/api/v1/posts/{post.id}", bearer(token)
    read = client.get(url, headers=headers)
    assert read.status_code == (200 if EDIT[role] else 404)  # a draft is not revealed
    patched = client.patch(url, headers=headers, json={"title": f"By {role}"})
    assert patched.status_code == (200 if EDIT[role] else 404)
    authors = client.patch(url, headers=headers, json={"coauthors": ["newcomer"]})
    assert authors.status_code == (200 if CHOOSE[role] else 403 if EDIT[role] else 404)
    if CHOOSE[role]:
        assert [a["username"] for a in authors.get_json()["authors"]] == ["owner", "newcomer"]
    else:
        assert authors.headers["Content-Type"] == "application/problem+json"
    deleted = client.delete(url, headers=headers)
    assert deleted.status_code in ((204,) if DELETE[role] else (403, 404))


def _caller(client, user):
    """A request to the native API with a read-write token of ``user``."""
    headers = bearer(tokens.create(db.session, user, "tests", "read-write", utcnow())[1])
    return lambda method, url, **kw: client.open(url, method=method, headers=headers, **kw)


def test_the_api_refuses_bad_settings_as_problems(client, factory):
    factory.user("reader", "rita")
    call = _caller(client, factory.user("author"))
    sent = {"title": "T", "body": "B", "canonical_url": "javascript:alert(1)",
            "coauthors": ["rita"], "meta_title": "x" * 300}  # fmt: skip
    response = call("POST", "/api/v1/posts", json=sent)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"canonical_url", "coauthors", "meta_title"} <= set(errors)
    assert call("POST", "/api/v1/posts", json={**sent, "coauthors": "rita"}).status_code == 422
    assert call("POST", "/api/v1/posts", json={**sent, "featured": "maybe"}).status_code == 422


def test_control_characters_in_co_author_names_are_no_server_error(client, factory):
    call = _caller(client, factory.user("author"))
    sent = {"title": "T", "body": "B", "coauthors": ["\x00ghost", "\x07"]}
    response = call("POST", "/api/v1/posts", json=sent)
    assert response.status_code == 422
    assert response.get_json()["errors"]["coauthors"] == ["No account is named ghost."]


def test_the_api_writes_and_reads_every_setting(client, factory):
    factory.user("author", "bea")
    call = _caller(client, factory.user("author"))
    sent = {"title": "T", "body": "B", "canonical_url": "https://first.example/t",
            "coauthors": ["bea"], "meta_title": "Meta", "meta_description": "Desc",
            "featured": True}  # fmt: skip
    body = call("POST", "/api/v1/posts", json=sent).get_json()
    named = ("canonical_url", "meta_title", "meta_description", "featured")
    assert {k: body[k] for k in named} == {
        "canonical_url": "https://first.example/t", "meta_title": "Meta",
        "meta_description": "Desc", "featured": True,
    }  # fmt: skip
    assert [a["username"] for a in body["authors"]][1:] == ["bea"]
    document = call("GET", "/api/v1/openapi.json").get_json()
    post_in = document["components"]["schemas"]["PostIn"]["properties"]
    assert {"canonical_url", "coauthors", "featured", "meta_title", "meta_description"} <= set(
        post_in
    )


def test_the_realworld_api_keeps_its_one_author(client, factory):
    ada = factory.user(username="ada")
    factory.user(username="bea")
    post = factory.post(ada, "Shared", coauthors=["bea"])
    article = client.get(f"/api/articles/{post.slug}").get_json()["article"]
    assert article["author"]["username"] == "ada"
    assert "authors" not in article
