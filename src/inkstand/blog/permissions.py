"""Who may do what with posts. Every door into Inkstand asks here."""

from __future__ import annotations

from datetime import datetime

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post


def _is_staff(user: User | None) -> bool:
    return user is not None and user.has_role(Role.EDITOR)


def can_create(user: User | None) -> bool:
    """Authors, editors and admins write posts; readers do not."""
    return user is not None and user.has_role(Role.AUTHOR)


def is_owner(user: User | None, post: Post) -> bool:
    return user is not None and post.author_id == user.id


def can_edit(user: User | None, post: Post) -> bool:
    """An author edits her own posts and those she co-writes; editors and admins edit any."""
    if _is_staff(user):
        return True
    if not can_create(user) or user is None:
        return False
    return post.author_id == user.id or any(c.id == user.id for c in post.coauthors)


def can_choose_authors(user: User | None, post: Post | None) -> bool:
    """A post's owner, editors and admins choose its co-authors; a co-author does not."""
    if _is_staff(user):
        return True
    return can_create(user) and (post is None or is_owner(user, post))


def can_co_write(user: User) -> bool:
    """Only writers (authors, editors, admins) may be named a post's co-author."""
    return can_create(user)


def can_delete(user: User | None, post: Post) -> bool:
    """A post's owner deletes it, and editors and admins; a co-author does not."""
    return _is_staff(user) or (can_create(user) and is_owner(user, post))


def can_restore(user: User | None, post: Post) -> bool:
    """Who may delete a post may take it back out of the trash."""
    return can_delete(user, post)


def can_view(user: User | None, post: Post, now: datetime) -> bool:
    """Published posts, and archived ones once published, are public; drafts and
    scheduled posts are seen only by those who may edit them; a post in the trash by
    nobody (its author and the staff find it in the trash)."""
    if post.in_trash:
        return False
    return post.is_public(now) or can_edit(user, post)


def can_see_all_posts(user: User | None) -> bool:
    """Editors and admins manage every post, not only their own."""
    return _is_staff(user)


def can_favourite(user: User | None, post: Post, now: datetime) -> bool:
    """Any logged-in account marks a post readers can read as a favourite: not a draft
    or a scheduled post, which only its writers see (its author has no button there)."""
    return user is not None and post.is_public(now)
