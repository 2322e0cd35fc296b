"""Articles (posts) through the RealWorld API: list, feed, read, write, favourite."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from inkstand.accounts import services as accounts
from inkstand.blog.models import Post, Status
from inkstand.blog.services import favourites
from inkstand.blog.services.posts import EXCERPT_MAX, TAGS_PER_POST
from inkstand.extensions import db
from tests.api.realworld.calls import errors
from tests.helpers import change

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NEW = {"title": "How to train your dragon", "description": "Ever wonder how?",
       "body": "Very *carefully*.", "tagList": ["training", "dragons"]}  # fmt: skip


def _article(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    article = response.get_json()["article"]
    assert ISO.match(article["createdAt"])
    assert ISO.match(article["updatedAt"])
    return article


def test_an_author_creates_a_published_article(api, factory):
    author = factory.user("author")
    article = _article(api.post("/articles", author, json={"article": NEW}), 201)
    assert article["slug"] == "how-to-train-your-dragon"
    assert (article["title"], article["description"], article["body"]) == (
        NEW["title"], NEW["description"], NEW["body"],
    )  # fmt: skip
    assert article["tagList"] == ["dragons", "training"]
    assert (article["favorited"], article["favoritesCount"]) == (False, 0)
    assert article["author"] == {
        "username": author.username, "bio": "", "image": "", "following": False,
    }  # fmt: skip
    post = db.session.scalar(select(Post))
    assert post.status == Status.PUBLISHED
    assert post.published_at is not None
    assert "<em>carefully</em>" in post.body_html


def test_a_reader_may_not_write_articles(api, factory):
    reader = factory.user("reader")
    response = api.post("/articles", reader, json={"article": NEW})
    assert response.status_code == 403
    assert errors(response)
    assert db.session.scalar(select(Post)) is None


def test_writing_needs_a_token(api):
    assert api.post("/articles", json={"article": NEW}).status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"body": "   "}, "body"),
        ({"description": 5}, "description"),
        ({"description": "x" * (EXCERPT_MAX + 1)}, "description"),
        ({"tagList": "dragons"}, "tagList"),
        ({"tagList": ["a,b"]}, "tagList"),
        ({"tagList": [1]}, "tagList"),
        ({"tagList": ["no spaces!"]}, "tagList"),
        ({"tagList": [f"t{i}" for i in range(TAGS_PER_POST + 1)]}, "tagList"),
    ],
)
def test_an_invalid_article_is_422_naming_the_field(api, factory, changes, field):
    author = factory.user("author")
    response = api.post("/articles", author, json={"article": {**NEW, **changes}})
    assert response.status_code == 422
    assert field in errors(response)
    assert db.session.scalar(select(Post)) is None


def test_reading_an_article_needs_no_token(api, factory):
    post = factory.post(factory.user(), "Hello", tags="one")
    article = _article(api.get(f"/articles/{post.slug}"))
    assert (article["slug"], article["tagList"]) == (post.slug, ["one"])


def test_a_draft_is_not_found_except_by_its_author(api, factory):
    author = factory.user("author")
    post = factory.post(author, "Secret", status=Status.DRAFT.value)
    assert api.get(f"/articles/{post.slug}").status_code == 404
    assert api.get(f"/articles/{post.slug}", factory.user("reader")).status_code == 404
    assert api.get(f"/articles/{post.slug}", author).status_code == 200


def test_an_old_slug_redirects_to_the_new_one(api, factory):
    author = factory.user("author")
    post = factory.post(author, "First title")
    change(post, author, body="x", slug="renamed")
    response = api.get("/articles/first-title")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/api/articles/renamed")


def test_the_author_updates_only_what_she_sends(api, factory):
    author = factory.user("author")
    post = factory.post(author, "Dragons", excerpt="About dragons", tags="a,b")
    article = _article(api.put(f"/articles/{post.slug}", author,
                               json={"article": {"body": "With two hands"}}))  # fmt: skip
    assert (article["body"], article["title"], article["description"]) == (
        "With two hands", "Dragons", "About dragons",
    )  # fmt: skip
    assert (article["slug"], article["tagList"]) == (post.slug, ["a", "b"])


@pytest.mark.parametrize(("role", "status"), [("author", 403), ("reader", 403), ("editor", 200)])
def test_someone_elses_article_is_forbidden_unless_editor(api, factory, role, status):
    post = factory.post(factory.user("author"))
    other = factory.user(role)
    assert api.put(f"/articles/{post.slug}", other,
                   json={"article": {"title": "Mine now"}}).status_code == status  # fmt: skip
    assert api.delete(f"/articles/{post.slug}", other).status_code == (
        204 if status == 200 else 403
    )


def test_update_with_a_bad_body_is_422_and_changes_nothing(api, factory):
    author = factory.user("author")
    post = factory.post(author, "Dragons")
    response = api.put(f"/articles/{post.slug}", author, json={"article": {"title": ""}})
    assert response.status_code == 422
    assert "title" in errors(response)
    assert api.put(f"/articles/{post.slug}", author, json={"article": []}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Post, post.id).title == "Dragons"


def test_missing_articles_are_404_for_every_method(api, factory):
    user = factory.user("author")
    assert api.get("/articles/nope").status_code == 404
    assert api.put("/articles/nope", user, json={"article": {"title": "x"}}).status_code == 404
    assert api.delete("/articles/nope", user).status_code == 404
    assert api.post("/articles/nope/favorite", user).status_code == 404


def test_the_author_deletes_her_article(api, factory):
    author = factory.user("author")
    post = factory.post(author)
    assert api.delete(f"/articles/{post.slug}").status_code == 401
    assert api.delete(f"/articles/{post.slug}", author).status_code == 204
    db.session.expire_all()
    assert db.session.scalar(select(Post.deleted_at).where(Post.id == post.id))  # in the trash
    assert api.get(f"/articles/{post.slug}").status_code == 404
    assert api.delete(f"/articles/{post.slug}", author).status_code == 404


def test_favouriting_and_unfavouriting(api, factory):
    post = factory.post(factory.user("author"))
    fan = factory.user("reader")
    assert api.post(f"/articles/{post.slug}/favorite").status_code == 401
    article = _article(api.post(f"/articles/{post.slug}/favorite", fan))
    assert (article["favorited"], article["favoritesCount"]) == (True, 1)
    assert _article(api.get(f"/articles/{post.slug}", fan))["favorited"] is True
    assert _article(api.get(f"/articles/{post.slug}"))["favorited"] is False
    article = _article(api.delete(f"/articles/{post.slug}/favorite", fan))
    assert (article["favorited"], article["favoritesCount"]) == (False, 0)


def _list(api, query="", as_=None, path="/articles"):
    response = api.get(f"{path}{query}", as_)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"articles", "articlesCount"}
    assert all("body" not in a for a in body["articles"])
    return [a["slug"] for a in body["articles"]], body["articlesCount"]


def test_list_newest_first_with_filters(api, factory):
    ada, bea = factory.user("author", username="ada"), factory.user("author", username="bea")
    first = factory.post(ada, "First", tags="dragons")
    second = factory.post(bea, "Second", tags="dragons,training")
    factory.post(ada, "Draft", status=Status.DRAFT.value)
    favourites.favourite(db.session, bea, first.id)
    assert _list(api) == ([second.slug, first.slug], 2)
    assert _list(api, "?tag=training") == ([second.slug], 1)
    assert _list(api, "?tag=DRAGONS") == ([second.slug, first.slug], 2)
    assert _list(api, "?author=ADA") == ([first.slug], 1)
    assert _list(api, "?favorited=bea") == ([first.slug], 1)
    assert _list(api, "?author=ada&tag=training") == ([], 0)
    assert _list(api, "?tag=nothing") == ([], 0)
    assert _list(api, "?author=nobody") == ([], 0)


def test_limit_and_offset_page_and_the_count_is_the_total(api, factory):
    author = factory.user("author")
    slugs = [factory.post(author, f"Post {i}").slug for i in range(5)][::-1]
    assert _list(api, "?limit=2") == (slugs[:2], 5)
    assert _list(api, "?limit=2&offset=2") == (slugs[2:4], 5)
    assert _list(api, "?offset=10") == ([], 5)


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=101", "?limit=-1", "?limit=x", "?offset=-1", "?offset=1e3",
              "?offset=100001", "?limit=" + "9" * 5000],
)  # fmt: skip
def test_bad_paging_is_422(api, query):
    response = api.get(f"/articles{query}")
    assert response.status_code == 422
    assert errors(response)


def test_flags_are_the_callers(api, factory):
    ada = factory.user("author", username="ada")
    post = factory.post(ada)
    reader = factory.user("reader")
    favourites.favourite(db.session, reader, post.id)
    accounts.follow(db.session, reader, "ada")
    api_article = api.get("/articles", reader).get_json()["articles"][0]
    assert api_article["favorited"] is True
    assert api_article["author"]["following"] is True
    anonymous = api.get("/articles").get_json()["articles"][0]
    assert (anonymous["favorited"], anonymous["author"]["following"]) == (False, False)


def test_the_feed_shows_followed_authors_only_and_needs_a_token(api, factory):
    ada, bea = factory.user("author", username="ada"), factory.user("author", username="bea")
    reader = factory.user("reader")
    mine = factory.post(ada, "Ada's")
    factory.post(bea, "Bea's")
    assert api.get("/articles/feed").status_code == 401
    assert _list(api, path="/articles/feed", as_=reader) == ([], 0)
    accounts.follow(db.session, reader, "ada")
    assert _list(api, path="/articles/feed", as_=reader) == ([mine.slug], 1)


@pytest.mark.parametrize("path", ["/articles", "/articles/feed"])
def test_lists_cost_the_same_queries_whatever_the_page_size(api, factory, queries, path):
    reader = factory.user("reader")

    def count():
        queries.clear()
        assert api.get(f"{path}?limit=50", reader).status_code == 200
        return len(queries)

    def add(n):
        for _ in range(n):
            author = factory.user("author")
            accounts.follow(db.session, reader, author.username)
            post = factory.post(author)
            favourites.favourite(db.session, reader, post.id)

    add(1)
    small = count()
    add(8)
    assert count() == small
    # the caller, the content version, the total, the page with its authors,
    # favourites, follows; then the total is kept until the content changes
    assert small == 6
    assert count() == 5


def test_tags_lists_tags_of_published_posts_most_used_first(api, factory):
    author = factory.user("author")
    factory.post(author, tags="common,rare")
    factory.post(author, tags="common")
    factory.post(author, tags="hidden", status=Status.DRAFT.value)
    response = api.get("/tags")
    assert response.status_code == 200
    assert response.get_json() == {"tags": ["common", "rare"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("PUT", "", {"article": {"title": "Changed"}}), ("POST", "/favorite", None),
     ("DELETE", "/favorite", None)],
)  # fmt: skip
def test_a_change_reads_the_article_once(api, factory, queries, method, path, body):
    author = factory.user("author")
    post = factory.post(author, tags="one, two")
    queries.clear()
    response = api.call(method, f"/articles/{post.slug}{path}", author, json=body)
    assert response.status_code == 200, response.get_json()
    assert len([q for q in queries if q.startswith("SELECT posts.id, posts.author_id")]) == 1
