"""Uploading, resizing, listing and deleting images, and recording where posts and pages
use them.

The bytes go to a ``Storage``; the views hand it in, with the limits."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, literal_column, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from inkstand import audit
from inkstand.accounts.models import User
from inkstand.audit import Action, Target
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.media import imaging, permissions
from inkstand.media.models import Media, MediaPageUse, MediaUse
from inkstand.media.storage import Storage
from inkstand.pagination import Cursor, Page, keyset_page

# An uploaded image named in a post's Markdown: ![alt](/media/<sha256>.<type>)
MEDIA_URL = re.compile(r"/media/([0-9a-f]{64})\.(?:jpg|png|webp|gif)\b")
LIBRARY_PAGE = 24  # images on a page of the library
#: Widths of the smaller copies made of each image (never wider than the original).
WIDTHS = (480, 960, 1600)
#: Where the site serves stored files (media.views.file).
URL_PREFIX = "/media/"


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int


def _variant_widths(width: int, widths: Sequence[int]) -> list[int]:
    """The variant widths an image of ``width`` pixels gets: smaller ones only."""
    return sorted(w for w in set(widths) if 0 < w < width)


def upload(
    session: DbSession, storage: Storage, actor: User | None, data: bytes, limits: Limits,
    make_variants: Callable[[int], None],
) -> Media:  # fmt: skip
    """Keep an uploaded image, cleaned, for ``actor``; the same image twice is one row.
    Calls ``make_variants(media_id)`` after the commit. Raises Forbidden or Invalid, and
    then keeps nothing."""
    if not permissions.can_upload(actor):
        raise Forbidden("Your account may not upload images.")
    assert actor is not None
    return _keep(session, storage, actor, data, limits, make_variants)


def _keep(
    session: DbSession, storage: Storage, actor: User, data: bytes, limits: Limits,
    make_variants: Callable[[int], None], then: Callable[[Media], None] | None = None,
) -> Media:  # fmt: skip
    """Clean and keep ``data`` as an image of ``actor`` (the one she has of the same
    pixels, if any), ``then(media)`` done in the same commit. Raises Invalid."""
    if not data:
        raise Invalid.field("image", "Choose an image to upload.")
    if len(data) > limits.max_bytes:
        raise Invalid.field("image", f"The file is too big: at most {limits.max_bytes:,} bytes.")
    cleaned = imaging.clean(data, limits.max_pixels)
    digest = hashlib.sha256(cleaned.data).hexdigest()
    mine = select(Media).where(Media.owner_id == actor.id, Media.digest == digest)
    found = session.scalar(mine)
    if found is not None:
        if then is not None:
            then(found)
            session.commit()
        return found
    media = Media(
        owner_id=actor.id, digest=digest, extension=cleaned.kind.extension,
        width=cleaned.width, height=cleaned.height, size=len(cleaned.data),
    )  # fmt: skip
    if not storage.exists(media.name):
        storage.save(media.name, cleaned.data)
    session.add(media)
    try:
        if then is not None:
            session.flush()
            then(media)
        session.commit()
    except IntegrityError:  # the same upload, twice at once: one row
        session.rollback()
        twin = session.scalar(mine)
        if twin is None:
            raise
        if then is not None:
            then(twin)
            session.commit()
        return twin
    make_variants(media.id)
    return media


def variant_widths(media: Media) -> list[int]:
    """The widths of an image's smaller copies."""
    return _variant_widths(media.width, WIDTHS)


def avatar_file(media: Media) -> str:
    """The file an avatar shows: the image's smallest copy, or itself when it is small."""
    widths = _variant_widths(media.width, WIDTHS)
    return media.variant_name(widths[0]) if widths else media.name


def set_avatar(
    session: DbSession, storage: Storage, actor: User | None, data: bytes, limits: Limits,
    make_variants: Callable[[int], None],
) -> Media:  # fmt: skip
    """Make an uploaded image ``actor``'s avatar (any account may have one); it replaces
    an address given through the API (``image_url``). Raises Forbidden or Invalid, and
    then keeps nothing and changes nothing."""
    if not permissions.can_have_avatar(actor):
        raise Forbidden("Log in to choose an avatar.")
    assert actor is not None

    def show(media: Media) -> None:
        actor.avatar_name, actor.image_url = avatar_file(media), ""

    return _keep(session, storage, actor, data, limits, make_variants, then=show)


def remove_avatar(session: DbSession, actor: User | None) -> None:
    """Show no picture for ``actor`` any more: neither an uploaded avatar (the image
    stays among her images) nor an address given through the API. Raises Forbidden."""
    if not permissions.can_have_avatar(actor):
        raise Forbidden("Log in to choose an avatar.")
    assert actor is not None
    if actor.avatar_name or actor.image_url:
        actor.avatar_name, actor.image_url = "", ""
        session.commit()


def make_variants(
    session: DbSession, storage: Storage, media_id: int, widths: Sequence[int] = WIDTHS
) -> list[str]:
    """Write the image's smaller copies that are missing; returns their names. An image
    deleted meanwhile gets none."""
    media = session.get(Media, media_id)
    if media is None:
        return []
    made = []
    kind = imaging.BY_EXTENSION[media.extension]
    original: bytes | None = None
    for width in _variant_widths(media.width, widths):
        name = media.variant_name(width)
        if storage.exists(name):
            continue
        if original is None:
            with storage.open(media.name) as handle:
                original = handle.read()
        storage.save(name, imaging.resized(original, kind, width))
        made.append(name)
    return made


def get(session: DbSession, actor: User | None, media_id: int) -> Media:
    """An image the actor may manage. Raises NotFound (also for another's image)."""
    media = session.get(Media, media_id)
    if media is None or not permissions.can_manage(actor, media):
        raise NotFound("No such image.")
    return media


def library(
    session: DbSession, actor: User | None, size: int, before: str | None = None,
    after: str | None = None,
) -> Page[Media]:  # fmt: skip
    """A page of the images the actor manages, newest first, with their owners and the
    posts and pages that use them: three queries whatever the page. Raises Forbidden or
    BadCursor."""
    if not permissions.can_upload(actor):
        raise Forbidden("Your account may not upload images.")
    assert actor is not None
    query = select(Media).options(*_SHOWN_WITH)
    if not permissions.can_see_all(actor):
        query = query.where(Media.owner_id == actor.id)
    return keyset_page(
        session, query, Media.created_at, Media.id, _cursor, size,
        before=Cursor.decode(before), after=Cursor.decode(after),
    )  # fmt: skip


# What a view shows of an image: its owner (joined), its posts and its pages (a query each).
_SHOWN_WITH = (joinedload(Media.owner), selectinload(Media.uses), selectinload(Media.page_uses))


def _cursor(media: Media) -> Cursor:
    return Cursor(media.created_at, media.id)


def get_with_uses(session: DbSession, media_id: int) -> Media:
    """An image with its owner and uses loaded (three queries), for a view to show."""
    found = session.scalar(
        select(Media)
        .where(Media.id == media_id)
        .options(*_SHOWN_WITH)
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound("No such image.")
    return found


def delete_media(session: DbSession, storage: Storage, actor: User | None, media_id: int) -> None:
    """Delete an image no post or page uses; its files go with the last row naming them.
    Raises NotFound, or Invalid while a post or a page uses it."""
    media = get(session, actor, media_id)
    titles = _users_of(session, media.id)
    if titles:
        listed = ", ".join(f"“{title}”" for title in titles)
        raise Invalid.field("media", f"This image is in use and was not deleted: {listed}.")
    owner = session.get(User, media.owner_id)
    if owner is not None and owner.avatar_name.startswith(media.digest):
        whose = "your" if actor is not None and owner.id == actor.id else f"{owner.name}\u2019s"
        raise Invalid.field("media", f"This image is {whose} avatar and was not deleted.")
    names = [media.name, *(media.variant_name(w) for w in _variant_widths(media.width, WIDTHS))]
    digest = media.digest
    if actor is not None and media.owner_id != actor.id:  # an editor's or admin's: recorded
        audit.record(
            session, actor, Action.MEDIA_DELETED,
            Target("media", media.id, f"{media.name} ({media.width}x{media.height})"),
            {"owner_id": media.owner_id},
        )  # fmt: skip
    session.delete(media)
    session.commit()
    others = session.scalar(select(func.count(Media.id)).where(Media.digest == digest))
    if not others:
        for name in names:
            storage.delete(name)


def _users_of(session: DbSession, media_id: int) -> list[str]:
    """The titles of the posts, then of the pages, that show an image (one query)."""
    both = union_all(
        select(MediaUse.post_title.label("title"), literal_column("0").label("kind")).where(
            MediaUse.media_id == media_id
        ),
        select(MediaPageUse.page_title.label("title"), literal_column("1").label("kind")).where(
            MediaPageUse.media_id == media_id
        ),
    ).subquery()
    return list(session.scalars(select(both.c.title).order_by(both.c.kind, both.c.title)))


# Helpers for the save paths of posts and pages: they write nothing until the caller
# commits.


def named_in(session: DbSession, source: str) -> Sequence[Media]:
    """The uploaded images a Markdown text shows, by their address (one query)."""
    digests = set(MEDIA_URL.findall(source))
    if not digests:
        return []
    return session.scalars(select(Media).where(Media.digest.in_(digests))).all()


def url(media: Media) -> str:
    return f"{URL_PREFIX}{media.name}"


def srcsets(images: Iterable[Media]) -> dict[str, str]:
    """Each image's address -> its ``srcset`` (its variants and itself, by width), for
    images that have variants."""
    found = {}
    for media in images:
        sizes = [
            (f"{URL_PREFIX}{media.variant_name(w)}", w)
            for w in _variant_widths(media.width, WIDTHS)
        ]
        if sizes:
            sizes.append((url(media), media.width))
            found[url(media)] = ", ".join(f"{address} {w}w" for address, w in sizes)
    return found


def usable_cover(session: DbSession, actor: User, media_id: int) -> Media:
    """An image the actor may put on a post. Raises Invalid."""
    media = session.get(Media, media_id)
    if media is None or not permissions.can_manage(actor, media):
        raise Invalid.field("cover", "Choose one of your own images as the cover.")
    return media


def record_uses(
    session: DbSession, post_id: int, title: str, body: Iterable[Media], cover: Media | None
) -> None:
    """Write which images the post shows now (body and cover), replacing the old list."""
    session.execute(delete(MediaUse).where(MediaUse.post_id == post_id))
    uses = {
        media.id: MediaUse(media_id=media.id, post_id=post_id, post_title=title) for media in body
    }
    if cover is not None:
        uses.setdefault(cover.id, MediaUse(media_id=cover.id, post_id=post_id, post_title=title))
        uses[cover.id].as_cover = True
    session.add_all(uses.values())


def record_page_uses(session: DbSession, page_id: int, title: str, source: str) -> None:
    """Write which images the page's Markdown ``source`` shows now, replacing the old
    list (one query to find them)."""
    session.execute(delete(MediaPageUse).where(MediaPageUse.page_id == page_id))
    session.add_all(
        MediaPageUse(media_id=media.id, page_id=page_id, page_title=title)
        for media in named_in(session, source)
    )


def hand_over(session: DbSession, leaving: User, heir: User) -> None:
    """Give ``heir`` every image of ``leaving`` (whose posts she takes): an image she
    has already keeps her row, and the posts and pages that used the other point to
    hers. The files stay, named by content. Writes nothing until the caller commits."""
    mine = select(Media.digest).where(Media.owner_id == heir.id)
    twins = session.execute(
        select(Media.id, Media.digest).where(Media.owner_id == leaving.id, Media.digest.in_(mine))
    ).all()
    for twin_id, digest in twins:
        kept = select(Media.id).where(Media.owner_id == heir.id, Media.digest == digest)
        kept_id = session.scalar(kept)
        already = select(MediaUse.post_id).where(MediaUse.media_id == kept_id)
        session.execute(
            update(MediaUse)
            .where(MediaUse.media_id == twin_id, MediaUse.post_id.not_in(already))
            .values(media_id=kept_id)
        )
        shown = select(MediaPageUse.page_id).where(MediaPageUse.media_id == kept_id)
        session.execute(
            update(MediaPageUse)
            .where(MediaPageUse.media_id == twin_id, MediaPageUse.page_id.not_in(shown))
            .values(media_id=kept_id)
        )
        session.execute(delete(Media).where(Media.id == twin_id))
    session.execute(update(Media).where(Media.owner_id == leaving.id).values(owner_id=heir.id))


@dataclass(frozen=True)
class StoredFiles:
    """An image's files (the original and its variants), named by its content."""

    digest: str
    names: tuple[str, ...]


def files_of(session: DbSession, owner: User) -> list[StoredFiles]:
    """The files of every image ``owner`` holds, read before her account goes."""
    images = session.scalars(select(Media).where(Media.owner_id == owner.id)).all()
    return [
        StoredFiles(m.digest, (m.name, *(m.variant_name(w) for w in _variant_widths(m.width,
                                                                                  WIDTHS))))
        for m in images
    ]  # fmt: skip


def remove_unowned(session: DbSession, storage: Storage, files: Sequence[StoredFiles]) -> None:
    """Delete the files no account holds any more (after a deletion is committed): an
    image another account uploaded too, or that went to an heir, stays."""
    if not files:
        return
    digests = {f.digest for f in files}
    kept = set(session.scalars(select(Media.digest).where(Media.digest.in_(digests))))
    for found in files:
        if found.digest not in kept:
            for name in found.names:
                storage.delete(name)
