"""Who sees which figures. Every door into the dashboard asks here."""

from __future__ import annotations

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post


def can_see_stats(user: User | None) -> bool:
    """Authors see their own posts' figures; editors and admins the whole site's."""
    return user is not None and user.has_role(Role.AUTHOR)


def sees_whole_site(user: User | None) -> bool:
    """Editors and admins see every page's figures, not only their own posts'."""
    return user is not None and user.has_role(Role.EDITOR)


def can_see_post_stats(user: User | None, post: Post) -> bool:
    """A post's figures: its author's, and every editor's and admin's."""
    return sees_whole_site(user) or (can_see_stats(user) and user is not None
                                     and post.author_id == user.id)  # fmt: skip
