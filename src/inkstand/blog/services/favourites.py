"""Favourites: a reader's marks on the posts she liked, and each post's count of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from inkstand import marks
from inkstand.accounts.models import User
from inkstand.blog import permissions
from inkstand.blog.models import Favourite, Post
from inkstand.blog.services import posts
from inkstand.db import DbSession, utcnow
from inkstand.exceptions import Forbidden, NotFound


def _to_favourite(
    session: DbSession, actor: User | None, post_id: int, now: datetime | None
) -> tuple[User, Post]:
    if actor is None:
        raise Forbidden("Log in to favourite posts.")
    post = posts.find(session, post_id, with_tags=False)
    if post is None or not permissions.can_favourite(actor, post, now or utcnow()):
        raise NotFound("No such post.")
    return actor, post


def _count(post: Post) -> marks.Count:
    return marks.Count(Post.favourite_count, Post.id == post.id)


def _as_saved(session: DbSession, post: Post) -> Post:
    """The post with its author as saved: no query, unless a twin request's rollback
    left it to be read again."""
    return posts.find(session, post.id, with_tags=False) or post


def favourite(
    session: DbSession, actor: User | None, post_id: int, now: datetime | None = None
) -> Post:
    """Mark a post ``actor`` may read as a favourite; marking it again changes nothing.
    Returns the post with its author and new count.

    Raises Forbidden (not logged in) or NotFound (no such post, or one she may not see)."""
    actor, post = _to_favourite(session, actor, post_id, now)
    marks.mark(session, Favourite(user_id=actor.id, post_id=post.id), _count(post))
    return _as_saved(session, post)


def unfavourite(
    session: DbSession, actor: User | None, post_id: int, now: datetime | None = None
) -> Post:
    """Take the mark off; taking it off twice changes nothing. Raises Forbidden or NotFound."""
    actor, post = _to_favourite(session, actor, post_id, now)
    marks.unmark(session, Favourite(user_id=actor.id, post_id=post.id), _count(post))
    return _as_saved(session, post)


def favourited_ids(session: DbSession, actor: User | None, post_ids: Iterable[int]) -> set[int]:
    """Which of ``post_ids`` ``actor`` has favourited, in one query (none for a visitor)."""
    reader = actor.id if actor is not None else None
    return marks.marked(session, Favourite.user_id, Favourite.post_id, reader, post_ids)
