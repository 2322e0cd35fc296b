"""Numbered pages of published posts (blog.reading.numbered) and their totals
(blog.reading.count), for doors that page by offset such as the RealWorld API."""

from __future__ import annotations

from datetime import timedelta

from inkstand.accounts import services as accounts
from inkstand.blog import reading
from inkstand.blog.models import Status
from inkstand.blog.services import favourites
from inkstand.db import utcnow
from inkstand.extensions import db


def _page(filters=None, limit=10, offset=0):
    filters, now = filters or reading.Filters(), utcnow()
    posts = reading.numbered(db.session, now, filters, limit, offset)
    return [p.title for p in posts], reading.count(db.session, now, filters).number


def test_only_listed_posts_count_newest_first(factory):
    author = factory.user("author")
    factory.post(author, "Old", now=utcnow() - timedelta(days=2))
    factory.post(author, "New")
    factory.post(author, "Draft", status=Status.DRAFT.value)
    factory.post(author, "Archived", status=Status.ARCHIVED.value)
    factory.post(author, "Scheduled", publish_at=utcnow() + timedelta(days=1))
    assert _page() == (["New", "Old"], 2)
    assert _page(limit=1, offset=1) == (["Old"], 2)


def test_a_count_says_until_when_it_holds(factory):
    author = factory.user("author")
    now = utcnow()
    soon, later = now + timedelta(hours=1), now + timedelta(days=1)
    factory.post(author, "Now", tags="x")
    factory.post(author, "Soon", tags="y", publish_at=soon)
    factory.post(author, "Later", tags="x", publish_at=later)
    factory.post(author, "Trashed", publish_at=now + timedelta(minutes=1)).deleted_at = now
    db.session.commit()
    assert reading.count(db.session, now, reading.Filters()) == reading.Count(1, soon)
    assert reading.count(db.session, now, reading.Filters(tag="x")) == reading.Count(1, later)
    assert reading.count(db.session, later, reading.Filters()) == reading.Count(3, None)


def test_filters_combine(factory):
    ada, bea = factory.user("author", username="ada"), factory.user("author", username="bea")
    reader = factory.user("reader", username="cyd")
    first = factory.post(ada, "First", tags="x")
    factory.post(bea, "Second", tags="x,y")
    favourites.favourite(db.session, reader, first.id)
    accounts.follow(db.session, reader, "bea")
    assert _page(reading.Filters(tag="X")) == (["Second", "First"], 2)
    assert _page(reading.Filters(tag="x", author="ada")) == (["First"], 1)
    assert _page(reading.Filters(favourited_by="CYD")) == (["First"], 1)
    assert _page(reading.Filters(followed_by=reader)) == (["Second"], 1)
    assert _page(reading.Filters(favourited_by="nobody")) == ([], 0)


def test_tags_in_use_counts_listed_posts_only(factory):
    author = factory.user("author")
    factory.post(author, tags="a,b")
    factory.post(author, tags="b")
    factory.post(author, tags="c", status=Status.DRAFT.value)
    assert reading.tags_in_use(db.session, utcnow(), 10) == ["b", "a"]
    assert reading.tags_in_use(db.session, utcnow(), 1) == ["b"]
