"""Who may administer the site and who may follow whom. Services and templates ask here."""

from __future__ import annotations

from inkstand.accounts.models import Role, User


def can_administer(user: User | None) -> bool:
    """Admins manage accounts, roles and site settings."""
    return user is not None and user.has_role(Role.ADMIN)


def can_follow(user: User | None, author: User) -> bool:
    """Any logged-in account follows anyone but herself."""
    return user is not None and user.id != author.id
