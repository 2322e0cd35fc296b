"""An admin deleting an account hands its posts to another writer: the images go with
them, an image the heir holds already keeps her row, and every post keeps its cover
and its recorded uses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand.accounts import closing
from inkstand.accounts.models import Role
from inkstand.blog.models import Post
from inkstand.blog.services import handover
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.media import services
from inkstand.media.models import Media, MediaPageUse, MediaUse
from tests.helpers import PASSWORD, change, fresh, image_bytes, login, submit
from tests.pages.helpers import change_page, make_page

LIMITS = services.Limits(max_bytes=2_000_000, max_pixels=5_000_000)


def _upload(storage, user, data):
    return services.upload(db.session, storage, user, data, LIMITS, lambda _: None)


def test_images_and_covers_go_to_the_heir(factory, storage):
    admin = factory.user(Role.ADMIN, "boss")
    heir = factory.user(Role.AUTHOR, "heir")
    leaving = factory.user(Role.AUTHOR, "leaving")
    shared, own = image_bytes("PNG"), image_bytes("PNG", size=(30, 20))
    hers = _upload(storage, heir, shared)
    twin = _upload(storage, leaving, shared)  # the same file: one row each
    only = _upload(storage, leaving, own)
    body = f"![a](/media/{twin.name}) ![b](/media/{only.name})"
    post = factory.post(leaving, "Pictures", body=body)
    change(post, leaving, cover_id=twin.id)
    post_id, hers_id, only_id = post.id, hers.id, only.id

    closing.delete_account(
        db.session, admin, leaving.id, heir_id=heir.id, hand_over=handover.hand_over
    )

    assert fresh(select(Post.author_id).where(Post.id == post_id)) == heir.id
    assert fresh(select(Post.cover_id).where(Post.id == post_id)) == hers_id
    owners = set(db.session.scalars(select(Media.owner_id)))
    assert owners == {heir.id}
    assert fresh(select(func.count(Media.id))) == 2
    uses = set(db.session.scalars(select(MediaUse.media_id).where(MediaUse.post_id == post_id)))
    assert uses == {hers_id, only_id}


def test_the_pages_showing_her_images_keep_them_in_use(factory, storage):
    admin = factory.user(Role.ADMIN, "boss")
    heir = factory.user(Role.AUTHOR, "heir")
    leaving = factory.user(Role.AUTHOR, "leaving")
    shared, own = image_bytes("PNG"), image_bytes("PNG", size=(30, 20))
    twin = _upload(storage, leaving, shared)
    only = _upload(storage, leaving, own)
    about = make_page(admin, "About", body=f"![a](/media/{twin.name}) ![b](/media/{only.name})")
    hers = _upload(storage, heir, shared)  # uploaded after the page: not recorded on it yet
    colophon = make_page(admin, "Colophon", body=f"![a](/media/{hers.name})")
    change_page(about, admin, title="About us")  # now both rows of the shared image
    ids = {"about": about.id, "colophon": colophon.id, "hers": hers.id, "only": only.id}
    # Each page names the shared file: both its rows are in use (About: and its own).
    assert fresh(select(func.count()).select_from(MediaPageUse)) == 5

    closing.delete_account(
        db.session, admin, leaving.id, heir_id=heir.id, hand_over=handover.hand_over
    )

    db.session.expire_all()
    rows = db.session.execute(
        select(MediaPageUse.page_id, MediaPageUse.media_id, MediaPageUse.page_title)
    ).all()
    assert set(rows) == {
        (ids["about"], ids["hers"], "About us"),
        (ids["about"], ids["only"], "About us"),
        (ids["colophon"], ids["hers"], "Colophon"),
    }


def test_a_page_shows_the_twin_alone_and_the_heirs_row_takes_it(factory, storage):
    admin = factory.user(Role.ADMIN, "boss")
    heir = factory.user(Role.AUTHOR, "heir")
    leaving = factory.user(Role.AUTHOR, "leaving")
    twin = _upload(storage, leaving, image_bytes("PNG"))
    about = make_page(admin, "About", body=f"![a](/media/{twin.name})")
    hers = _upload(storage, heir, image_bytes("PNG"))  # the page's rows: the twin's alone
    about_id, hers_id = about.id, hers.id

    closing.delete_account(
        db.session, admin, leaving.id, heir_id=heir.id, hand_over=handover.hand_over
    )

    db.session.expire_all()
    rows = db.session.execute(select(MediaPageUse.page_id, MediaPageUse.media_id)).all()
    assert rows == [(about_id, hers_id)]
    with pytest.raises(Invalid, match="in use and was not deleted: “About”"):
        services.delete_media(db.session, storage, admin, hers_id)


def test_a_deleted_accounts_own_files_go_and_shared_ones_stay(client, factory, storage, files):
    factory.user(Role.ADMIN, "boss")
    other = factory.user(Role.AUTHOR, "other")
    leaving = factory.user(Role.AUTHOR, "leaving")
    shared, own = image_bytes("PNG"), image_bytes("PNG", size=(30, 20))
    _upload(storage, other, shared)
    _upload(storage, leaving, shared)
    mine = _upload(storage, leaving, own)
    mine_name = mine.name
    before = files()
    login(client, leaving)

    page = "/settings/delete"
    form = {"current_password": PASSWORD, "understood": "y"}
    assert submit(client, page, form, page=page).status_code == 302

    assert files() == before - {mine_name}
