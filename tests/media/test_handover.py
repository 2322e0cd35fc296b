"""An admin deleting an account hands its posts to another writer: the images go with
them, an image the heir holds already keeps her row, and every post keeps its cover
and its recorded uses."""

from __future__ import annotations

from sqlalchemy import func, select

from inkstand.accounts import closing
from inkstand.accounts.models import Role
from inkstand.blog.models import Post
from inkstand.blog.services import handover
from inkstand.extensions import db
from inkstand.media import services
from inkstand.media.models import Media, MediaUse
from tests.helpers import PASSWORD, change, fresh, image_bytes, login, submit

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
