"""Who sees which figures. Every door into the dashboard asks here."""

from __future__ import annotations

from inkstand.accounts.models import Role, User


def can_see_stats(user: User | None) -> bool:
    """Authors see their own posts' figures; editors and admins the whole site's."""
    return user is not None and user.has_role(Role.AUTHOR)


def sees_whole_site(user: User | None) -> bool:
    """Editors and admins see every page's figures, not only their own posts'."""
    return user is not None and user.has_role(Role.EDITOR)
