"""Who may do what with pages and the site's identity. Every door asks here."""

from __future__ import annotations

from inkstand.accounts.models import Role, User
from inkstand.pages.models import Page


def can_write(user: User | None) -> bool:
    """Editors and admins write, publish and delete pages: a page speaks for the whole
    site (About, Contact), which authors, who write their own posts, do not."""
    return user is not None and user.has_role(Role.EDITOR)


def can_view(user: User | None, page: Page) -> bool:
    """Anyone reads a published page; only who may write pages sees a draft."""
    return page.is_published or can_write(user)


def can_arrange(user: User | None) -> bool:
    """Only admins arrange the menu and set the icon, logo and footer, as every other
    site setting."""
    return user is not None and user.has_role(Role.ADMIN)
