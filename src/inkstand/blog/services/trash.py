"""The trash: deleted posts wait there, restorable, until they are purged.

``posts.delete_post`` moves a post here (it sets ``deleted_at``). A post in the trash
is on no page, feed, sitemap, search or API list and answers 404 to everyone; it keeps
its slug (no other post may take it), its revisions and comments. Its author, and the
editors and admins, restore it for ``days`` (the TRASH_DAYS setting); then ``purge``
deletes it for good, its revisions, comments and old slugs with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from inkstand import audit
from inkstand.accounts.models import User
from inkstand.audit import Action, Target
from inkstand.blog import permissions
from inkstand.blog.models import Post
from inkstand.blog.services.posts import target
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, NotFound
from inkstand.pagination import Cursor, Page, keyset_page


def purge_time(post: Post, days: int) -> datetime:
    """When a post in the trash will be purged."""
    assert post.deleted_at is not None
    return post.deleted_at + timedelta(days=days)


def trashed(
    session: DbSession, actor: User | None, size: int, before: str | None = None,
    after: str | None = None,
) -> Page[Post]:  # fmt: skip
    """The posts in the trash ``actor`` may restore (her own; every one for editors and
    admins), last deleted first, with their authors: one query. Raises Forbidden or
    BadCursor."""
    if actor is None or not permissions.can_create(actor):
        raise Forbidden("Your account may not write posts.")
    stmt = select(Post).where(Post.deleted_at.is_not(None)).options(joinedload(Post.author))
    if not permissions.can_see_all_posts(actor):
        stmt = stmt.where(Post.author_id == actor.id)
    return keyset_page(
        session, stmt, Post.deleted_at, Post.id,
        _cursor, size, before=Cursor.decode(before), after=Cursor.decode(after),
    )  # fmt: skip


def _cursor(post: Post) -> Cursor:
    assert post.deleted_at is not None
    return Cursor(post.deleted_at, post.id)


def restore(session: DbSession, actor: User | None, post_id: int) -> Post:
    """Take a post out of the trash, in the state it was deleted in. Returns it with its
    author. Raises NotFound (no such post in the trash, or one ``actor`` may not see)."""
    post = (
        session.get(Post, post_id, options=[joinedload(Post.author)])
        if 0 < post_id <= ID_MAX
        else None
    )
    if post is None or not post.in_trash:
        raise NotFound("No such post in the trash.")
    if not permissions.can_restore(actor, post):
        raise NotFound("No such post in the trash.")  # another's trash is not revealed
    post.deleted_at = None
    if not permissions.is_owner(actor, post):
        audit.record(
            session, actor, Action.POST_RESTORED, target(post), {"author_id": post.author_id}
        )
    session.commit()
    return post


def purge(session: DbSession, now: datetime, days: int) -> int:
    """Delete for good every post in the trash for ``days`` or more: one statement (the
    database takes its revisions, comments, tags and old slugs with it). Returns how
    many went, recorded in the audit log when any did."""
    cutoff = now - timedelta(days=days)
    gone = session.execute(
        delete(Post)
        .where(Post.deleted_at.is_not(None), Post.deleted_at <= cutoff)
        .execution_options(synchronize_session=False)
    )
    count = int(gone.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(
            session, None, Action.TRASH_PURGED, Target("trash", None, "the trash"),
            {"posts": count, "days": days}, now=now,
        )  # fmt: skip
    session.commit()
    return count
