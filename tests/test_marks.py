"""Marks (inkstand.marks): set and taken off once whatever the number of requests,
with their count kept beside them. Follows and favourites are built on them."""

from __future__ import annotations

from sqlalchemy import func, select

from inkstand import marks
from inkstand.accounts.models import Follow
from inkstand.blog.models import Favourite, Post
from inkstand.extensions import db


def _count(post: Post) -> int:
    db.session.expire_all()
    return db.session.get(Post, post.id).favourite_count


def test_a_mark_is_made_once_and_counted_once(factory):
    post, fan = factory.post(factory.user()), factory.user("reader")
    count = marks.Count(Post.favourite_count, Post.id == post.id)
    made = [marks.mark(db.session, Favourite(user_id=fan.id, post_id=post.id), count)
            for _ in range(2)]  # fmt: skip
    assert made == [True, False]
    assert _count(post) == 1
    taken = [marks.unmark(db.session, Favourite(user_id=fan.id, post_id=post.id), count)
             for _ in range(2)]  # fmt: skip
    assert taken == [True, False]
    assert _count(post) == 0
    assert db.session.scalar(select(func.count()).select_from(Favourite)) == 0


def test_a_mark_without_a_count(factory):
    ada, fan = factory.user(), factory.user("reader")
    assert marks.mark(db.session, Follow(follower_id=fan.id, followed_id=ada.id))
    other = factory.user()
    assert marks.mark(db.session, Follow(follower_id=fan.id, followed_id=other.id))
    assert marks.unmark(db.session, Follow(follower_id=fan.id, followed_id=ada.id))
    pairs = db.session.execute(select(Follow.follower_id, Follow.followed_id)).all()
    assert [tuple(p) for p in pairs] == [(fan.id, other.id)]
