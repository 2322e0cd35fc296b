"""The personal feed in blog.reading: posts of the authors a reader follows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inkstand.accounts import services as accounts
from inkstand.blog import reading
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden
from inkstand.extensions import db
from inkstand.pagination import BadCursor


def test_the_feed_holds_listed_posts_of_followed_authors_newest_first(factory):
    ada, bea, cid = (factory.user(username=n) for n in ("ada", "bea", "cid"))
    reader = factory.user("reader")
    now = utcnow()
    first = factory.post(ada, publish_at=now - timedelta(days=3))
    second = factory.post(bea, publish_at=now - timedelta(days=2))
    third = factory.post(ada, publish_at=now - timedelta(days=1))
    factory.post(cid)  # not followed
    factory.post(ada, status="draft")
    factory.post(ada, publish_at=now + timedelta(days=1))  # scheduled
    factory.post(ada, status="archived", publish_at=now - timedelta(days=1))
    accounts.follow(db.session, reader, "ada")
    accounts.follow(db.session, reader, "bea")
    page = reading.feed(db.session, reader, now, 2)
    assert [p.id for p in page.items] == [third.id, second.id]
    assert page.newer is None
    assert page.older
    rest = reading.feed(db.session, reader, now, 2, before=page.older)
    assert [p.id for p in rest.items] == [first.id]
    assert rest.older is None
    back = reading.feed(db.session, reader, now, 2, after=rest.newer)
    assert [p.id for p in back.items] == [third.id, second.id]


def test_an_unfollowed_author_leaves_the_feed(factory):
    ada, reader = factory.user(username="ada"), factory.user("reader")
    factory.post(ada)
    accounts.follow(db.session, reader, "ada")
    assert len(reading.feed(db.session, reader, utcnow(), 10).items) == 1
    accounts.unfollow(db.session, reader, "ada")
    assert reading.feed(db.session, reader, utcnow(), 10).items == []


def test_a_reader_following_nobody_has_an_empty_feed(factory):
    factory.post(factory.user())
    assert reading.feed(db.session, factory.user("reader"), utcnow(), 10).items == []


def test_a_visitor_has_no_feed(factory):
    with pytest.raises(Forbidden):
        reading.feed(db.session, None, utcnow(), 10)


def test_a_broken_cursor_is_refused(factory):
    with pytest.raises(BadCursor):
        reading.feed(db.session, factory.user(), utcnow(), 10, before="junk")


def test_the_feed_is_one_query_with_the_authors_whatever_it_holds(factory, queries):
    reader = factory.user("reader")
    for n in range(6):
        author = factory.user(username=f"writer{n}")
        factory.post(author)
        accounts.follow(db.session, reader, author.username)
    db.session.expire_all()  # the authors must come with the posts, not from the session
    db.session.refresh(reader)
    queries.clear()
    page = reading.feed(db.session, reader, utcnow(), 5)
    assert {p.author.username for p in page.items} <= {f"writer{n}" for n in range(6)}
    assert len(page.items) == 5
    assert len(queries) == 1
