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


def can_edit(user: User | None, post: Post) -> bool:
    """An author edits her own posts; editors and admins edit any."""
    if _is_staff(user):
        return True
    return can_create(user) and user is not None and post.author_id == user.id


def can_delete(user: User | None, post: Post) -> bool:
    return can_edit(user, post)


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
