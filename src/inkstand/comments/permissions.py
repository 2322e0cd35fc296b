"""Who may do what with comments. Every door into Inkstand asks here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post
from inkstand.comments.models import Comment, CommentStatus
from inkstand.site.models import CommentPolicy

EDIT_WINDOW = timedelta(minutes=15)


def is_open(post: Post, policy: str, now: datetime) -> bool:
    """A published post takes comments unless the site or the post closed them.
    Drafts, scheduled and archived posts take none."""
    return policy != CommentPolicy.CLOSED and not post.comments_closed and post.is_listed(now)


def can_comment(user: User | None, post: Post, policy: str, now: datetime) -> bool:
    """Any logged-in account, whatever its role, comments on a post open to comments."""
    return user is not None and is_open(post, policy, now)


def can_moderate(user: User | None, post: Post) -> bool:
    """Editors and admins moderate every comment; an author those on her own posts."""
    if user is None:
        return False
    if user.has_role(Role.EDITOR):
        return True
    return user.has_role(Role.AUTHOR) and post.author_id == user.id


def is_at_home(user: User | None, post: Post) -> bool:
    """The post's own people, its author and the staff, are no strangers to it: the
    anti-spam timer does not hold them (they moderate its comments anyway)."""
    return can_moderate(user, post)


def can_open_queue(user: User | None) -> bool:
    """Anyone who may moderate some comment: authors and up."""
    return user is not None and user.has_role(Role.AUTHOR)


def can_moderate_all(user: User | None) -> bool:
    return user is not None and user.has_role(Role.EDITOR)


def can_see(user: User | None, comment: Comment, post: Post) -> bool:
    """Approved comments are public; held ones only their writer and moderators see,
    spam only moderators."""
    if comment.status == CommentStatus.APPROVED or can_moderate(user, post):
        return True
    return (
        comment.status == CommentStatus.PENDING
        and user is not None
        and comment.author_id == user.id
    )


def seen(user: User | None, post: Post, comment: Any = Comment) -> ColumnElement[bool]:
    """``can_see``, for a comment not deleted, as SQL over ``comment`` (the Comment
    model or an alias of it) on ``post``."""
    if can_moderate(user, post):
        visible: ColumnElement[bool] = true()
    elif user is None:
        visible = comment.status == CommentStatus.APPROVED.value
    else:
        visible = or_(
            comment.status == CommentStatus.APPROVED.value,
            and_(comment.status == CommentStatus.PENDING.value, comment.author_id == user.id),
        )
    return and_(comment.deleted.is_(False), visible)


def can_edit(user: User | None, comment: Comment, now: datetime) -> bool:
    """The writer edits her comment for EDIT_WINDOW after posting it, nobody else ever."""
    return (
        user is not None
        and comment.author_id == user.id
        and not comment.deleted
        and now - comment.created_at <= EDIT_WINDOW
    )


def can_delete(user: User | None, comment: Comment, post: Post) -> bool:
    """The writer deletes her comment any time; moderators any they moderate."""
    if comment.deleted:
        return False
    return (user is not None and comment.author_id == user.id) or can_moderate(user, post)


def can_reply(user: User | None, comment: Comment, post: Post, policy: str, now: datetime) -> bool:
    """Replies go under approved comments only, so no reply hangs from a hidden one."""
    return (
        can_comment(user, post, policy, now)
        and not comment.deleted
        and comment.status == CommentStatus.APPROVED
    )
