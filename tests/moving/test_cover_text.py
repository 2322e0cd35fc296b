"""A featured image's words come over with it: Ghost's feature_image_alt and
feature_image_caption (on the post in older exports, in posts_meta in newer ones; the
caption's HTML made text), and a WordPress attachment's alt text and excerpt; each cut to
what a cover keeps, with a note, and only with a cover brought in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from inkstand.blog.models import Post
from inkstand.blog.services.posts import COVER_ALT_MAX, COVER_CAPTION_MAX
from inkstand.extensions import db
from inkstand.moving.models import RunState
from tests.helpers import image_bytes
from tests.moving import wxr
from tests.moving.wxr import SITE, WpItem

ALT = "A grey heron standing in shallow water"
CAPTION_HTML = 'Photo by <a href="https://unsplash.com/@ann">Ann &amp; Bo</a> on <b>Unsplash</b>'
CAPTION = "Photo by Ann & Bo on Unsplash"
GHOST_COVER = "__GHOST_URL__/content/images/2024/01/cover.jpg"


def _post(slug: str) -> Post:
    db.session.expire_all()
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    assert post is not None, slug
    return post


def _notes(report: dict) -> list[str]:
    return [n["note"] for n in report["notes"]]


# Ghost


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "content" / "images"
    (folder / "2024" / "01").mkdir(parents=True)
    (folder / "2024" / "01" / "cover.jpg").write_bytes(image_bytes("JPEG", size=(900, 600)))
    return folder


def _ghost_post(n: int, title: str, **fields: object) -> dict:
    entry = {
        "id": f"p{n}", "uuid": f"0b6c1f5e-0000-4000-8000-{n:012d}", "title": title,
        "slug": title.lower().replace(" ", "-"), "html": "<p>Text.</p>", "status": "published",
        "type": "post", "created_at": "2024-01-02T10:00:00.000Z",
        "published_at": "2024-01-02T12:00:00.000Z", "feature_image": GHOST_COVER,
    }  # fmt: skip
    entry.update(fields)
    return entry


def _ghost(*posts: dict, posts_meta: list[dict] | None = None) -> bytes:
    data: dict = {"posts": list(posts), "tags": [], "users": [], "posts_tags": []}
    if posts_meta is not None:
        data["posts_meta"] = posts_meta
    return json.dumps({"db": [{"meta": {"version": "5.82.0"}, "data": data}]}).encode()


def test_ghost_words_on_the_post_of_an_older_export(run_file, images):
    entry = _ghost_post(1, "Older", feature_image_alt=ALT, feature_image_caption=CAPTION_HTML)
    run, report = run_file(_ghost(entry), "ghost", uploads=images)
    assert run.state == RunState.DONE, report
    post = _post("older")
    assert post.cover_id is not None
    assert (post.cover_alt, post.cover_caption) == (ALT, CAPTION)
    assert _notes(report) == []


def test_ghost_words_in_posts_meta_of_a_newer_export(client, run_file, images):
    posts = [_ghost_post(1, "Newer"), _ghost_post(2, "Other", feature_image_alt="On the post")]
    meta = [
        {"id": "m1", "post_id": "p1", "feature_image_alt": ALT,
         "feature_image_caption": CAPTION_HTML, "og_image": None},
        {"id": "m2", "post_id": "p2", "feature_image_alt": None, "feature_image_caption": None},
        {"id": "m3", "post_id": "p9", "feature_image_alt": "No such post"},
        "not a row",
    ]  # fmt: skip
    run, report = run_file(_ghost(*posts, posts_meta=meta), "ghost", uploads=images)
    assert run.state == RunState.DONE, report
    newer, other = _post("newer"), _post("other")
    assert (newer.cover_alt, newer.cover_caption) == (ALT, CAPTION)
    assert (other.cover_alt, other.cover_caption) == ("On the post", "")
    page = client.get("/posts/newer").get_data(as_text=True)
    assert f'alt="{ALT}"' in page
    assert "<figcaption>Photo by Ann &amp; Bo on Unsplash</figcaption>" in page


def test_ghost_words_too_long_are_cut_with_a_note(run_file, images):
    entry = _ghost_post(
        1, "Long", feature_image_alt="word " * 100, feature_image_caption="<p>" + "x " * 400
    )
    _run, report = run_file(_ghost(entry), "ghost", uploads=images)
    post = _post("long")
    assert len(post.cover_alt) <= COVER_ALT_MAX
    assert post.cover_alt.endswith("…")
    assert len(post.cover_caption) <= COVER_CAPTION_MAX
    assert post.cover_caption.endswith("…")
    assert _notes(report) == [
        "featured image description shortened to 300 characters",
        "featured image caption shortened to 500 characters",
    ]


def test_ghost_hostile_words_are_kept_as_text(client, run_file, images):
    hostile = '"><script>alert(1)</script>'
    entry = _ghost_post(1, "Hostile", feature_image_alt=hostile + "\x00",
                        feature_image_caption=f"<img src=x onerror=alert(1)>{hostile}")  # fmt: skip
    run_file(_ghost(entry), "ghost", uploads=images)
    post = _post("hostile")
    assert post.cover_alt == '">'  # tags dropped, control characters gone
    assert post.cover_caption == '">'
    assert "<script>alert" not in client.get("/posts/hostile").get_data(as_text=True)


def test_ghost_words_without_a_cover_brought_in_are_not_kept(run_file):
    entry = _ghost_post(1, "Uncovered", feature_image_alt=ALT, feature_image_caption="Caption")
    _run, _report = run_file(_ghost(entry), "ghost")  # no images folder: no cover
    post = _post("uncovered")
    assert (post.cover_id, post.cover_alt, post.cover_caption) == (None, "", "")


@pytest.mark.parametrize("bad", ["not a list", {"p1": {}}])
def test_a_ghost_posts_meta_that_is_not_a_list_is_refused(run_file, bad):
    data = json.loads(_ghost(_ghost_post(1, "Refused")))
    data["db"][0]["data"]["posts_meta"] = bad
    run, report = run_file(json.dumps(data).encode(), "ghost")
    assert run.state == RunState.FAILED
    assert '"posts_meta" is not a list' in report["error"]


# WordPress


def _uploads(tmp_path: Path) -> Path:
    uploads = tmp_path / "uploads"
    (uploads / "2024" / "03").mkdir(parents=True)
    (uploads / "2024" / "03" / "cover.png").write_bytes(image_bytes(size=(900, 600)))
    return uploads


def _featured(alt: str, caption: str, after: bool) -> bytes:
    post = WpItem(1, "Featured", meta={"_thumbnail_id": "40"})
    attachment = WpItem(
        40, "cover", kind="attachment", status="inherit", excerpt=caption,
        meta={"_wp_attached_file": "2024/03/cover.png", "_wp_attachment_image_alt": alt},
        attachment_url=f"{SITE}/wp-content/uploads/2024/03/cover.png",
    )  # fmt: skip
    return wxr.document(wxr.AUTHORS, [post, attachment] if after else [attachment, post])


@pytest.mark.parametrize("after", [False, True], ids=["attachment-first", "attachment-after"])
def test_a_wordpress_attachments_alt_and_caption_come_with_the_cover(
    client, run_file, tmp_path, after
):
    data = _featured(ALT, CAPTION_HTML, after)
    run, report = run_file(data, uploads=_uploads(tmp_path))
    assert run.state == RunState.DONE, report
    post = _post("featured")
    assert post.cover_id is not None
    assert (post.cover_alt, post.cover_caption) == (ALT, CAPTION)
    assert report["notes"] == []
    page = client.get("/posts/featured").get_data(as_text=True)
    assert f'alt="{ALT}"' in page
    assert "<figcaption>Photo by Ann" in page


@pytest.mark.parametrize("after", [False, True], ids=["attachment-first", "attachment-after"])
def test_wordpress_words_too_long_are_cut_with_a_note(run_file, tmp_path, after):
    data = _featured("a" * 400, "c" * 30_000, after)
    _run, report = run_file(data, uploads=_uploads(tmp_path))
    post = _post("featured")
    assert len(post.cover_alt) == COVER_ALT_MAX
    assert post.cover_alt.endswith("…")
    assert len(post.cover_caption) == COVER_CAPTION_MAX
    assert _notes(report) == [
        "featured image description shortened to 300 characters",
        "featured image caption shortened to 500 characters",
    ]


def test_wordpress_words_without_the_uploads_folder_are_not_kept(run_file):
    run_file(_featured(ALT, "Caption", after=False))
    post = _post("featured")
    assert (post.cover_id, post.cover_alt, post.cover_caption) == (None, "", "")


def test_a_wordpress_attachment_without_words_leaves_them_empty(run_file, tmp_path):
    run_file(_featured("", "", after=True), uploads=_uploads(tmp_path))
    post = _post("featured")
    assert post.cover_id is not None
    assert (post.cover_alt, post.cover_caption) == ("", "")
