"""The site's icon and logo (admins): made from one uploaded image each, judged by the
media package's decoder, kept in its storage, and named in the site settings."""

from __future__ import annotations

import hashlib

from inkstand.accounts.models import User
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid
from inkstand.media import imaging
from inkstand.media.services import Limits
from inkstand.media.storage import Storage
from inkstand.pages import permissions
from inkstand.site import services as site
from inkstand.site.services import SiteConfig

# The favicon, Apple's touch icon, and the web manifest's two.
ICON_SIZES = (32, 180, 192, 512)
ICON_MIN = 512 // 4  # smaller uploads would look blurred at every size but the favicon
# The logo is shown at most 48 pixels high (site.css); kept at twice that for sharp screens.
LOGO_BOX = (640, 96)


def _require_admin(actor: User | None) -> None:
    if not permissions.can_arrange(actor):
        raise Forbidden("Only admins set the site's icon and logo.")


def _read(data: bytes, limits: Limits, field: str) -> None:
    if not data:
        raise Invalid.field(field, "Choose an image to upload.")
    if len(data) > limits.max_bytes:
        raise Invalid.field(field, f"The file is too big: at most {limits.max_bytes:,} bytes.")


def _keep(storage: Storage, data: bytes) -> str:
    name = f"{hashlib.sha256(data).hexdigest()}.png"
    if not storage.exists(name):
        storage.save(name, data)
    return name


def _on(field: str, error: Invalid) -> Invalid:
    return Invalid({field: error.errors.get("image", [error.message])})


def set_icon(
    session: DbSession, storage: Storage, actor: User | None, data: bytes, limits: Limits
) -> SiteConfig:
    """Make the icon at every size from one image (its middle square) and use it.
    Raises Forbidden, or Invalid (then nothing is kept)."""
    _require_admin(actor)
    _read(data, limits, "icon")
    try:
        image = imaging.decode(data, limits.max_pixels)
        if min(image.width, image.height) < ICON_MIN:
            raise Invalid.field("image", f"Use an image at least {ICON_MIN} pixels each way.")
        made = imaging.square_pngs(data, limits.max_pixels, ICON_SIZES)
    except Invalid as error:
        raise _on("icon", error) from error
    names = " ".join(f"{size}:{_keep(storage, png)}" for size, png in made.items())
    return site.update(session, actor, icon=names)


def set_logo(
    session: DbSession, storage: Storage, actor: User | None, data: bytes, limits: Limits
) -> SiteConfig:
    """Use an image as the header's logo, scaled to fit. Raises Forbidden or Invalid."""
    _require_admin(actor)
    _read(data, limits, "logo")
    try:
        logo = imaging.fitted_png(data, limits.max_pixels, LOGO_BOX)
    except Invalid as error:
        raise _on("logo", error) from error
    return site.update(session, actor, logo=_keep(storage, logo.data))


def remove(session: DbSession, actor: User | None, which: str) -> SiteConfig:
    """Go back to no icon ("icon") or no logo ("logo"). Raises Forbidden or Invalid.
    The files stay: they are small, and a cached page may still name them."""
    _require_admin(actor)
    if which not in ("icon", "logo"):
        raise Invalid.field("which", "Choose the icon or the logo.")
    return site.update(session, actor, **{which: ""})
