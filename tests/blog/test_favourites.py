"""Favourites, as every door (form or API) calls them: blog.services.favourites and
the ``favourited_by`` filter of blog.reading."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inkstand.accounts import services as accounts
from inkstand.accounts.models import Follow
from inkstand.blog import reading
from inkstand.blog.models import Favourite, Post
from inkstand.blog.services import favourites
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, NotFound
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import change


def _count(post: Post) -> int:
    value = db.session.scalar(select(Post.favourite_count).where(Post.id == post.id))
    assert value is not None
    return value


def _marks() -> set[tuple[int, int]]:
    return {(f.user_id, f.post_id) for f in db.session.scalars(select(Favourite))}


@pytest.mark.parametrize("role", ["reader", "author", "editor", "admin"])
def test_any_account_favourites_a_published_post(factory, role):
    post = factory.post(factory.user())
    fan = factory.user(role)
    found = favourites.favourite(db.session, fan, post.id)
    assert found.favourite_count == 1  # the returned post shows the new count
    assert found.id == post.id
    assert found.author.id == post.author_id
    assert _marks() == {(fan.id, post.id)}
    assert _count(post) == 1


def test_favouriting_twice_counts_once_and_unfavouriting_twice_too(factory):
    post = factory.post(factory.user())
    ada, bea = factory.user("reader"), factory.user("reader")
    for fan in (ada, bea, ada):
        favourites.favourite(db.session, fan, post.id)
    assert _count(post) == 2
    for _ in range(2):
        assert favourites.unfavourite(db.session, ada, post.id).favourite_count == 1
    assert _count(post) == 1
    assert _marks() == {(bea.id, post.id)}


def test_a_visitor_may_not_favourite(factory):
    post = factory.post(factory.user())
    for action in (favourites.favourite, favourites.unfavourite):
        with pytest.raises(Forbidden):
            action(db.session, None, post.id)
    assert _count(post) == 0


@pytest.mark.parametrize("post_id", [0, -1, 10**6, 2**31, 10**30])
def test_an_unknown_post_is_not_found(factory, post_id):
    for action in (favourites.favourite, favourites.unfavourite):
        with pytest.raises(NotFound):
            action(db.session, factory.user(), post_id)


@pytest.mark.parametrize(
    ("state", "who", "allowed"),
    [
        ("draft", "reader", False),
        ("draft", "other author", False),
        ("draft", "her", False),  # her work, not a reader's pick: no button, no mark
        ("draft", "editor", False),
        ("scheduled", "reader", False),
        ("scheduled", "her", False),
        ("archived", "reader", True),
        ("published", "her", True),
    ],
)
def test_only_a_post_readers_may_read_is_favourited(factory, state, who, allowed):
    author = factory.user()
    now = utcnow()
    if state == "scheduled":
        post = factory.post(author, publish_at=now + timedelta(days=1))
    else:
        post = factory.post(author, status=state, publish_at=now - timedelta(days=1))
    people = {
        "reader": factory.user("reader"),
        "other author": factory.user("author"),
        "her": author,
        "editor": factory.user("editor"),
    }
    if allowed:
        favourites.favourite(db.session, people[who], post.id, now)
        assert _count(post) == 1
    else:
        with pytest.raises(NotFound):
            favourites.favourite(db.session, people[who], post.id, now)
        assert _marks() == set()


def test_favourited_ids_answers_for_a_whole_list_in_one_query(factory, queries):
    author, fan = factory.user(), factory.user("reader")
    posts = [factory.post(author) for _ in range(4)]
    favourites.favourite(db.session, fan, posts[1].id)
    favourites.favourite(db.session, fan, posts[3].id)
    favourites.favourite(db.session, author, posts[0].id)
    queries.clear()
    assert favourites.favourited_ids(db.session, fan, [p.id for p in posts]) == {
        posts[1].id,
        posts[3].id,
    }
    assert len(queries) == 1
    queries.clear()
    assert favourites.favourited_ids(db.session, None, [posts[1].id]) == set()
    assert favourites.favourited_ids(db.session, fan, []) == set()
    assert queries == []


def test_a_favourite_retires_cached_pages_as_the_count_shows_on_them(factory):
    post = factory.post(factory.user())
    fan = factory.user()
    before = site.content_version(db.session)
    favourites.favourite(db.session, fan, post.id)
    favourited = site.content_version(db.session)
    favourites.unfavourite(db.session, fan, post.id)
    unfavourited = site.content_version(db.session)
    favourites.unfavourite(db.session, fan, post.id)
    assert len({before, favourited, unfavourited}) == 3
    assert site.content_version(db.session) == unfavourited


def test_readers_favouriting_at_once_all_count(app, factory, database_url):
    """The count is a relative update: each transaction adds its own one."""
    post = factory.post(factory.user())
    fans = [factory.user("reader") for _ in range(6)]
    errors: list[BaseException] = []

    def mark(user_id: int) -> None:
        with app.app_context():
            try:
                favourites.favourite(db.session, db.session.get(type(fans[0]), user_id), post.id)
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=mark, args=(fan.id,)) for fan in fans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _count(post) == len(fans)


def test_favourited_by_lists_her_published_favourites_newest_first(factory):
    author, fan = factory.user(), factory.user("reader", username="Fan")
    now = utcnow()
    old = factory.post(author, publish_at=now - timedelta(days=2))
    new = factory.post(author, publish_at=now - timedelta(days=1))
    factory.post(author)  # not favourited
    favourites.favourite(db.session, fan, old.id)
    favourites.favourite(db.session, fan, new.id)
    draft = factory.post(author)
    favourites.favourite(db.session, author, draft.id)
    change(draft, author, status="draft", publish_at=None)  # favourited, then taken back

    def favourites_of(name: str, limit: int = 10, offset: int = 0) -> list[int]:
        filters = reading.Filters(favourited_by=name)
        return [p.id for p in reading.numbered(db.session, now, filters, limit, offset)]

    assert favourites_of("fan", 1) == [new.id]
    assert favourites_of("FAN", 1, 1) == [old.id]
    assert favourites_of(author.username) == []
    assert favourites_of("nobody") == []


def test_the_post_comes_with_the_readers_favourite_mark_in_one_query(factory, queries):
    post = factory.post(factory.user())
    fan, other = factory.user("reader"), factory.user("reader")
    favourites.favourite(db.session, fan, post.id)
    for viewer, marked in [(fan, True), (other, False), (None, False)]:
        queries.clear()
        found, favourited = reading.show_with_favourite(db.session, viewer, post.slug, utcnow())
        assert (found.id, favourited) == (post.id, marked)
        assert len(queries) == 1


def test_twin_requests_of_one_reader_count_once(app, factory, database_url):
    """A double click sends two requests at once: one mark, one count, no error."""
    author = factory.user(username="ada")
    post = factory.post(author)
    fan = factory.user("reader")
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def mark() -> None:
        with app.app_context():
            try:
                actor = db.session.get(type(fan), fan.id)
                start.wait()
                marked = favourites.favourite(db.session, actor, post.id)
                assert marked.author.username == "ada"  # shown by the API, whoever won
                accounts.follow(db.session, actor, "ada")
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=mark) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _marks() == {(fan.id, post.id)}
    assert _count(post) == 1
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 1
