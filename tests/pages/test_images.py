"""The images a page shows are in use, as a post's are: every save of the page (a new
page, a change, a restored revision) records them, and the page's deletion frees them;
an image in use is not deleted (both databases)."""

from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import select

from inkstand.accounts.models import User
from inkstand.db import utcnow
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.media import services as media
from inkstand.media.models import Media, MediaPageUse
from inkstand.media.storage import FileStorage
from inkstand.pages import services
from inkstand.pages.views import reserved_addresses
from tests.helpers import POST_BODY_MAX, Factory, image_bytes
from tests.pages.helpers import change_page, make_page

LIMITS = media.Limits(max_bytes=2_000_000, max_pixels=5_000_000)


def _upload(storage: FileStorage, user: User, width: int = 30) -> Media:
    return media.upload(
        db.session, storage, user, image_bytes("PNG", (width, 20)), LIMITS, lambda _: None
    )


def _shows(image: Media) -> str:
    return f"Us, last summer: ![us]({media.url(image)})"


def _uses() -> list[tuple[int, int, str]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(MediaPageUse).order_by(MediaPageUse.page_id, MediaPageUse.media_id)
    )
    return [(u.media_id, u.page_id, u.page_title) for u in rows]


def _refused(storage: FileStorage, actor: User, image_id: int, message: str) -> None:
    with pytest.raises(Invalid, match=re.escape(message)):
        media.delete_media(db.session, storage, actor, image_id)
    assert db.session.get(Media, image_id) is not None


def test_a_page_showing_an_image_keeps_it_and_is_named_after_the_posts(
    factory: Factory, storage: FileStorage
) -> None:
    admin = factory.user("admin")
    image = _upload(storage, admin)
    factory.post(admin, "Post A", body=_shows(image))
    page = make_page(admin, "About", body=_shows(image))
    make_page(admin, "Colophon", body="No picture here.", status="draft")
    assert _uses() == [(image.id, page.id, "About")]
    _refused(
        storage, admin, image.id, "This image is in use and was not deleted: “Post A”, “About”."
    )


def test_a_draft_page_keeps_its_images_too(factory: Factory, storage: FileStorage) -> None:
    admin = factory.user("admin")
    image = _upload(storage, admin)
    make_page(admin, "Plans", body=_shows(image), status="draft")
    _refused(storage, admin, image.id, "in use and was not deleted: “Plans”.")


def test_editing_the_page_follows_its_title_and_frees_what_it_no_longer_shows(
    factory: Factory, storage: FileStorage, files
) -> None:
    admin, editor = factory.user("admin"), factory.user("editor")
    kept, dropped = _upload(storage, admin, 30), _upload(storage, admin, 40)
    page = make_page(admin, "About", body=f"{_shows(kept)}\n\n{_shows(dropped)}")
    assert _uses() == [(kept.id, page.id, "About"), (dropped.id, page.id, "About")]
    change_page(page, editor, title="About us", body=_shows(kept))
    assert _uses() == [(kept.id, page.id, "About us")]
    media.delete_media(db.session, storage, admin, dropped.id)
    _refused(storage, admin, kept.id, "in use and was not deleted: “About us”.")
    assert files() == {kept.name}


def test_deleting_the_page_frees_its_images(factory: Factory, storage: FileStorage) -> None:
    admin = factory.user("admin")
    image = _upload(storage, admin)
    page = make_page(admin, "About", body=_shows(image))
    services.delete_page(db.session, admin, page.id)
    assert _uses() == []
    media.delete_media(db.session, storage, admin, image.id)
    assert db.session.get(Media, image.id) is None


def test_restoring_a_revision_that_shows_an_image_marks_it_again(
    factory: Factory, storage: FileStorage
) -> None:
    admin = factory.user("admin")
    image = _upload(storage, admin)
    page = make_page(admin, "About", body=_shows(image))
    change_page(page, admin, title="About us", body="Words only.")
    assert _uses() == []
    services.restore_revision(
        db.session, admin, page.id, 1, utcnow(), POST_BODY_MAX,
        reserved_addresses(current_app.url_map),
    )  # fmt: skip
    assert _uses() == [(image.id, page.id, "About")]
    _refused(storage, admin, image.id, "in use and was not deleted: “About”.")


def test_a_refused_save_records_nothing(factory: Factory, storage: FileStorage) -> None:
    admin = factory.user("admin")
    image = _upload(storage, admin)
    page = make_page(admin, "About", body="Words only.")
    with pytest.raises(Invalid):
        change_page(page, admin, title="", body=_shows(image))
    assert _uses() == []


def test_every_account_holding_the_image_has_it_in_use(
    factory: Factory, storage: FileStorage
) -> None:
    admin, author = factory.user("admin"), factory.user("author")
    hers, mine = _upload(storage, author), _upload(storage, admin)  # one file, two rows
    unknown = "![gone](/media/" + "0" * 64 + ".png)"  # no image of that name: no row
    page = make_page(admin, "About", body=f"{_shows(mine)} {_shows(mine)} {unknown}")
    assert _uses() == [(hers.id, page.id, "About"), (mine.id, page.id, "About")]
    _refused(storage, author, hers.id, "in use and was not deleted: “About”.")
