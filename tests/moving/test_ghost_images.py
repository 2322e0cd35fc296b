"""Importing a Ghost export with its content/images folder (`--images`): the images a
post or page shows are kept as Inkstand images and their addresses rewritten, resized
copies (size/w600/) found as their original, a post's feature image becomes its cover;
without the folder, for a missing file, a non-image or an address out of the folder the
report says so and nothing outside the folder is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inkstand.blog.models import Post
from inkstand.extensions import db
from inkstand.media import services as media
from inkstand.media.models import Media, MediaPageUse, MediaUse
from inkstand.moving.models import RunState
from inkstand.pages.models import Page
from tests.helpers import image_bytes

OLD = "https://old.example"


def _entry(n: int, title: str, html: str = "<p>Text.</p>", **fields: object) -> dict:
    entry = {
        "id": f"p{n}", "uuid": f"0b6c1f5e-0000-4000-8000-{n:012d}", "title": title,
        "slug": title.lower().replace(" ", "-"), "html": html, "status": "published",
        "type": "post", "created_at": "2024-01-02T10:00:00.000Z",
        "published_at": "2024-01-02T12:00:00.000Z",
    }  # fmt: skip
    entry.update(fields)
    return entry


def _export(*entries: dict) -> bytes:
    data = {"posts": list(entries), "tags": [], "users": [], "posts_tags": []}
    return json.dumps({"db": [{"meta": {"version": "5.82.0"}, "data": data}]}).encode()


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """A Ghost content/images folder: a PNG and a JPEG, and a fake image."""
    folder = tmp_path / "content" / "images"
    (folder / "2024" / "01").mkdir(parents=True)
    (folder / "2024" / "01" / "photo.png").write_bytes(image_bytes())
    (folder / "2024" / "01" / "cover.jpg").write_bytes(image_bytes("JPEG", size=(900, 600)))
    (folder / "2024" / "01" / "fake.png").write_bytes(b"<script>alert(1)</script>")
    return folder


def _post(slug: str) -> Post:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    assert post is not None, slug
    return post


def _media_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Media)) or 0


def _notes(report: dict) -> list[str]:
    return [n["note"] for n in report["notes"]]


def test_body_images_are_kept_and_the_feature_image_becomes_the_cover(client, run_file, images):
    body = (
        '<p><img src="__GHOST_URL__/content/images/2024/01/photo.png" alt="one"></p>'
        f'<p><img src="{OLD}/content/images/size/w600/2024/01/photo.png" alt="two"></p>'
    )
    cover = "__GHOST_URL__/content/images/2024/01/cover.jpg"
    data = _export(_entry(1, "Pictures", body, feature_image=cover))
    run, report = run_file(data, "ghost", uploads=images)
    assert run.state == RunState.DONE, report
    assert _notes(report) == []
    post = _post("pictures")
    photo = db.session.scalar(select(Media).where(Media.extension == "png"))
    kept = db.session.scalar(select(Media).where(Media.extension == "jpg"))
    assert photo is not None
    assert kept is not None
    assert _media_count() == 2  # the photo, shown twice (once resized), is kept once
    assert post.body_source == (
        f"![one](/media/{photo.digest}.png)\n\n![two](/media/{photo.digest}.png)"
    )
    assert "content/images" not in post.body_html
    assert (post.cover_id, post.cover_name) == (kept.id, kept.name)
    assert post.cover_srcset.startswith("/media/")
    uses = db.session.scalars(select(MediaUse).where(MediaUse.post_id == post.id))
    assert {(u.media_id, u.as_cover) for u in uses} == {(photo.id, False), (kept.id, True)}
    assert f"/media/{kept.digest}" in client.get("/posts/pictures").get_data(as_text=True)

    again, second = run_file(data, "ghost", uploads=images)
    assert again.state == RunState.DONE, second
    assert (second["created"], second["already"]) == ({}, {"post": 1})
    assert _media_count() == 2
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_a_resized_copy_and_its_original_are_one_image_as_body_and_cover(
    run_file, images, monkeypatch
):
    cleaned = []
    upload = media.upload
    monkeypatch.setattr(media, "upload", lambda *a: cleaned.append(a[3]) or upload(*a))
    body = '<img src="__GHOST_URL__/content/images/size/w600/format/webp/2024/01/cover.jpg">'
    cover = f"{OLD}/content/images/size/w2000/2024/01/cover.jpg"
    run_file(_export(_entry(1, "Same", body, feature_image=cover)), "ghost", uploads=images)
    post = _post("same")
    image = db.session.scalar(select(Media))
    assert _media_count() == 1
    assert len(cleaned) == 1  # the file is read and cleaned once in a run
    assert post.cover_id == image.id
    assert post.body_source == f"![](/media/{image.digest}.jpg)"


def test_the_image_of_a_ghost_0x_post_is_its_feature_image(run_file, images):
    entry = _entry(1, "Old", image="/content/images/2024/01/cover.jpg", feature_image=None)
    run_file(_export(entry), "ghost", uploads=images)
    assert _post("old").cover_id == db.session.scalar(select(Media.id))


def test_a_file_that_cannot_be_read_is_noted(run_file, images, monkeypatch):
    (images / "2024" / "01" / "locked.png").write_bytes(image_bytes())
    opened = Path.open

    def locked(path: Path, *args, **kwargs):
        if path.name == "locked.png":
            raise PermissionError(13, "Permission denied")
        return opened(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked)
    cover = "__GHOST_URL__/content/images/2024/01/locked.png"
    run, report = run_file(_export(_entry(1, "Locked", feature_image=cover)), "ghost", images)
    assert run.state == RunState.DONE, report
    assert _post("locked").cover_id is None
    assert _notes(report) == [f"featured image {cover} not kept (unreadable: Permission denied)"]


def test_images_of_a_markdown_body_are_rewritten_too(run_file, images):
    markdown = (
        "Look:\n\n![a photo](__GHOST_URL__/content/images/2024/01/photo.png)\n\n"
        f'<img src="{OLD}/content/images/2024/01/photo.png">\n\n'
        "![gone](__GHOST_URL__/content/images/2024/01/photo.png.missing)"
    )
    mobiledoc = json.dumps(
        {"version": "0.3.1", "atoms": [], "markups": [], "sections": [[10, 0]],
         "cards": [["markdown", {"markdown": markdown}]]}
    )  # fmt: skip
    entry = _entry(1, "Markdown", "<p>rendered</p>", mobiledoc=mobiledoc)
    _run, report = run_file(_export(entry), "ghost", uploads=images)
    image = db.session.scalar(select(Media))
    assert _post("markdown").body_source == (
        f"Look:\n\n![a photo](/media/{image.digest}.png)\n\n"
        f'<img src="/media/{image.digest}.png">\n\n'
        "![gone](__GHOST_URL__/content/images/2024/01/photo.png.missing)"
    )
    assert _notes(report) == [
        "image __GHOST_URL__/content/images/2024/01/photo.png.missing not in the images "
        "folder: link kept"
    ]


def test_without_the_images_folder_links_stay_and_the_feature_image_is_noted(run_file):
    body = '<img src="__GHOST_URL__/content/images/2024/01/photo.png" alt="a">'
    cover = "__GHOST_URL__/content/images/2024/01/cover.jpg"
    _run, report = run_file(_export(_entry(1, "Plain", body, feature_image=cover)), "ghost")
    post = _post("plain")
    assert post.body_source == "![a](__GHOST_URL__/content/images/2024/01/photo.png)"
    assert post.cover_id is None
    assert _notes(report) == [
        "featured image not kept: the import was not given the images folder (--images)"
    ]
    assert _media_count() == 0


def test_missing_files_non_images_and_outside_images_are_noted(run_file, images, tmp_path):
    images.parent.joinpath("secret.png").write_bytes(image_bytes())  # content/secret.png
    (tmp_path / "secret.png").write_bytes(image_bytes())
    (images / "2024" / "01" / "link.png").symlink_to(tmp_path / "secret.png")
    names = (
        "2024/01/missing.png",
        "2024/01/fake.png",
        "../secret.png",
        "../../secret.png",
        "2024/../../secret.png",
        "%2e%2e/%2e%2e/secret.png",
        "size/w600/../../secret.png",
        "2024/01/link.png",
        "2024/01/%00.png",
        "x" * 5000 + ".png",
        "2024",
    )
    body = "".join(f'<p><img src="{OLD}/content/images/{n}" alt="x"></p>' for n in names)
    cover = "__GHOST_URL__/content/images/../../secret.png"
    entries = (
        _entry(1, "Hostile", body, feature_image=cover),
        _entry(2, "Elsewhere", feature_image="https://images.unsplash.com/photo-1?w=2000"),
    )
    run, report = run_file(_export(*entries), "ghost", uploads=images)
    assert run.state == RunState.DONE, report
    assert _media_count() == 0  # nothing read from outside the folder, no fake image
    post = _post("hostile")
    assert post.cover_id is None
    assert f"{OLD}/content/images/../../secret.png" in post.body_source  # link kept
    notes = _notes(report)
    assert "image https://old.example/content/images/2024/01/fake.png not kept" in notes[1]
    for name in names[:1] + names[2:]:
        address = f"{OLD}/content/images/{name}"[:200]
        assert f"image {address} not in the images folder: link kept" in notes
    assert f"featured image {cover} not in the images folder" in notes
    assert "featured image https://images.unsplash.com/photo-1?w=2000 not kept: it is not in " \
        "Ghost's content/images" in notes  # fmt: skip


def test_a_pages_feature_image_is_noted_and_its_body_images_kept(run_file, images):
    cover = "__GHOST_URL__/content/images/2024/01/cover.jpg"
    body = '<p>Us.</p><img src="__GHOST_URL__/content/images/2024/01/photo.png" alt="us">'
    page = _entry(1, "About", body, type="page", feature_image=cover)
    _run, report = run_file(_export(page), "ghost", uploads=images)
    about = db.session.scalar(select(Page).where(Page.slug == "about"))
    image = db.session.scalar(select(Media))
    assert _media_count() == 1  # the cover is not kept: nothing would show it
    assert about.body_source == f"Us.\n\n![us](/media/{image.digest}.png)"
    uses = db.session.execute(select(MediaPageUse.media_id, MediaPageUse.page_id)).all()
    assert uses == [(image.id, about.id)]  # in use: the library will not delete it
    assert report["notes"] == [
        {
            "kind": "page", "id": page["uuid"], "title": "About",
            "note": f"featured image {cover} not kept: a page has no cover here",
        }
    ]  # fmt: skip
