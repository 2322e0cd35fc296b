"""Uploading images: judged by decoding, cleaned, named by content, resized, deleted."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.extensions import db
from inkstand.media import services
from inkstand.media.models import Media, MediaUse
from tests.helpers import change, image_bytes
from tests.media.samples import bomb

LIMITS = services.Limits(max_bytes=2_000_000, max_pixels=5_000_000)


def upload(storage, user, data: bytes, limits=LIMITS) -> Media:
    made: list[int] = []
    media = services.upload(db.session, storage, user, data, limits, made.append)
    for media_id in made:  # as the inline job queue would
        services.make_variants(db.session, storage, media_id)
    return media


def stored(storage, name: str) -> bytes:
    with storage.open(name) as handle:
        return handle.read()


def rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Media.id))) or 0


@pytest.mark.parametrize(
    ("kind", "extension"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_each_kind_is_kept_re_encoded_in_its_own_format(factory, storage, kind, extension):
    media = upload(storage, factory.user(), image_bytes(kind, (40, 30)))
    assert media.name.endswith(f".{extension}")
    assert (media.width, media.height) == (40, 30)
    with Image.open(io.BytesIO(stored(storage, media.name))) as back:
        assert back.format == kind
        assert back.size == (40, 30)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose an image"),
        (b"<html><script>alert(1)</script></html>", "not an image"),
        (image_bytes("PNG", (80, 80))[:-60], "not an image"),  # cut short
        (image_bytes("JPEG", (80, 80))[:200], "not an image"),
        (image_bytes("BMP", (8, 8)), "not an image"),  # a real image of another kind
        (bomb(), "too large"),
        (image_bytes("PNG", (3000, 2000)), "too large"),  # 6 million pixels > 5 million
        (b"GIF89a" + b"\x00" * 40, "not an image"),
    ],
    ids=["empty", "html", "cut-png", "cut-jpeg", "bmp", "bomb", "too-many-pixels", "gif-header"],
)
def test_anything_else_is_refused_and_nothing_is_kept(factory, storage, files, data, message):
    with pytest.raises(Invalid) as refused:
        upload(storage, factory.user(), data)
    assert message in refused.value.errors["image"][0]
    assert rows() == 0
    assert files() == set()


def test_a_file_over_the_byte_limit_is_refused(factory, storage, files):
    data = image_bytes("PNG", (200, 200))
    with pytest.raises(Invalid, match="too big"):
        upload(storage, factory.user(), data, services.Limits(len(data) - 1, 5_000_000))
    assert rows() == 0
    assert files() == set()


def test_pillows_own_bomb_limit_is_an_error_too(factory, storage, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # warns past 1000, fails past 2000
    with pytest.raises(Invalid, match="too large"):
        upload(storage, factory.user(), image_bytes("PNG", (40, 30)))  # 1200 pixels: a warning
    with pytest.raises(Invalid, match="too large"):
        upload(storage, factory.user(), image_bytes("PNG", (50, 50)))  # 2500: an error


def test_a_polyglot_keeps_only_its_pixels(factory, storage):
    script = b"<html><script>alert(document.cookie)</script></html>"
    media = upload(storage, factory.user(), image_bytes("PNG", (20, 20)) + script)
    kept = stored(storage, media.name)
    assert b"script" not in kept
    assert b"<html" not in kept


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90° clockwise to show
    exif[0x010F] = "Camera maker"
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    return image_bytes("JPEG", (60, 40), exif=exif.tobytes(), comment=b"secret note")


def test_metadata_is_removed_after_the_orientation_is_applied(factory, storage):
    data = _gps_jpeg()
    with Image.open(io.BytesIO(data)) as sent:
        assert sent.getexif().get_ifd(0x8825)  # the upload does carry GPS
    media = upload(storage, factory.user(), data)
    assert (media.width, media.height) == (40, 60)  # turned upright
    with Image.open(io.BytesIO(stored(storage, media.name))) as back:
        assert back.size == (40, 60)
        assert not back.getexif()
        assert "exif" not in back.info
        assert "comment" not in back.info
        assert "icc_profile" not in back.info
    assert b"Camera maker" not in stored(storage, media.name)


def test_icc_profiles_and_comments_are_removed(factory, storage):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = upload(storage, factory.user(), image_bytes("PNG", icc_profile=profile))
    gif = upload(storage, factory.user(), image_bytes("GIF", comment=b"hidden words"))
    with Image.open(io.BytesIO(stored(storage, png.name))) as back:
        assert "icc_profile" not in back.info
    assert b"hidden words" not in stored(storage, gif.name)


def test_an_animated_gif_keeps_its_first_frame(factory, storage):
    frames = [Image.new("P", (30, 20), colour) for colour in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    media = upload(storage, factory.user(), out.getvalue())
    with Image.open(io.BytesIO(stored(storage, media.name))) as back:
        assert getattr(back, "n_frames", 1) == 1


@pytest.mark.parametrize(
    ("width", "variants"), [(2000, [480, 960, 1600]), (1000, [480, 960]), (480, []), (300, [])]
)
def test_variants_are_made_at_smaller_widths_only(factory, storage, files, width, variants):
    media = upload(storage, factory.user(), image_bytes("JPEG", (width, width // 2)))
    assert files() == {media.name, *(media.variant_name(w) for w in variants)}
    for w in variants:
        with Image.open(io.BytesIO(stored(storage, media.variant_name(w)))) as small:
            assert small.size == (w, round(width // 2 * w / width))
            assert small.format == "JPEG"


def test_the_same_image_is_stored_once(factory, storage, files):
    data, author, other = image_bytes("PNG"), factory.user(), factory.user()
    first = upload(storage, author, data)
    assert upload(storage, author, data).id == first.id  # one row per owner and file
    theirs = upload(storage, other, data)
    assert theirs.id != first.id
    assert theirs.name == first.name
    assert rows() == 2
    assert files() == {first.name}
    services.delete_media(db.session, storage, author, first.id)
    assert files() == {first.name}  # still theirs
    services.delete_media(db.session, storage, other, theirs.id)
    assert files() == set()
    assert rows() == 0


def test_deleting_removes_the_variants_too(factory, storage, files):
    author = factory.user()
    media = upload(storage, author, image_bytes("PNG", (1000, 500)))
    assert len(files()) == 3
    services.delete_media(db.session, storage, author, media.id)
    assert files() == set()


def test_an_image_a_post_uses_is_not_deleted(factory, storage, files):
    author = factory.user()
    inside = upload(storage, author, image_bytes("PNG", (30, 30)))
    cover = upload(storage, author, image_bytes("JPEG", (30, 30)))
    post = factory.post(author, "Holiday", body=f"Look: ![beach]({services.url(inside)})")
    change(post, author, cover_id=cover.id)
    for media in (inside, cover):
        with pytest.raises(Invalid, match="in use and was not deleted: “Holiday”"):
            services.delete_media(db.session, storage, author, media.id)
    assert rows() == 2
    change(post, author, body="No pictures now.", cover_id=None)
    services.delete_media(db.session, storage, author, inside.id)
    services.delete_media(db.session, storage, author, cover.id)
    assert files() == set()


def test_uses_follow_the_post(factory, storage):
    author = factory.user()
    media = upload(storage, author, image_bytes("PNG", (30, 30)))
    post = factory.post(author, "First title", body=f"![x]({services.url(media)})")
    change(post, author, title="Second title", cover_id=media.id)
    uses = db.session.scalars(select(MediaUse)).all()
    assert [(u.post_title, u.as_cover) for u in uses] == [("Second title", True)]


def test_the_post_body_offers_the_variants(factory, storage):
    author = factory.user()
    media = upload(storage, author, image_bytes("JPEG", (1200, 600)))
    post = factory.post(author, body=f"![wide]({services.url(media)})")
    expected = (
        f'srcset="/media/{media.variant_name(480)} 480w, /media/{media.variant_name(960)} 960w, '
        f'/media/{media.name} 1200w" sizes="(max-width: 42rem) 100vw, 42rem"'
    )
    assert expected in post.body_html


def test_the_cover_must_be_ones_own(factory, storage):
    author, other = factory.user(), factory.user()
    theirs = upload(storage, other, image_bytes("PNG"))
    post = factory.post(author)
    with pytest.raises(Invalid, match="own images") as refused:
        change(post, author, cover_id=theirs.id)
    assert "cover" in refused.value.errors
    with pytest.raises(Invalid, match="own images"):
        change(post, author, cover_id=10_000_000)
    editor = factory.user("editor")
    assert change(post, editor, cover_id=theirs.id).cover_name == theirs.name
    assert change(post, author, title="Kept cover").cover_id == theirs.id  # unchanged: kept


ROLES = ["admin", "editor", "author", "reader"]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_upload(factory, storage, role):
    user = factory.user(role)
    if role == "reader":
        with pytest.raises(Forbidden):
            upload(storage, user, image_bytes())
        with pytest.raises(Forbidden):
            services.library(db.session, user, 50)
    else:
        assert upload(storage, user, image_bytes()).owner_id == user.id


def test_a_visitor_may_not_upload(storage):
    with pytest.raises(Forbidden):
        upload(storage, None, image_bytes())


@pytest.mark.parametrize("role", ROLES)
def test_who_sees_and_deletes_anothers_image(factory, storage, role):
    owner = factory.user("author")
    media = upload(storage, owner, image_bytes())
    user = factory.user(role)
    staff = role in {"admin", "editor"}
    if role != "reader":
        assert (media.id in [m.id for m in services.library(db.session, user, 50).items]) is staff
    if staff:
        services.delete_media(db.session, storage, user, media.id)
        assert rows() == 0
    else:
        with pytest.raises(NotFound):
            services.delete_media(db.session, storage, user, media.id)
        assert rows() == 1
