"""Who may do what with uploaded images. Every door into Inkstand asks here."""

from __future__ import annotations

from inkstand.accounts.models import Role, User
from inkstand.media.models import Media


def can_upload(user: User | None) -> bool:
    """Those who write posts upload their images: authors, editors and admins."""
    return user is not None and user.has_role(Role.AUTHOR)


def can_have_avatar(user: User | None) -> bool:
    """Every account may show an avatar of its own, readers too."""
    return user is not None


def can_see_all(user: User | None) -> bool:
    """Editors and admins see every account's images in the library."""
    return user is not None and user.has_role(Role.EDITOR)


def can_manage(user: User | None, media: Media) -> bool:
    """An author uses and deletes her own images; editors and admins any."""
    if can_see_all(user):
        return True
    return can_upload(user) and user is not None and media.owner_id == user.id
