"""`inkstand export` and `inkstand import site|wordpress|ghost` from the command line."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from inkstand.blog.models import Post
from inkstand.extensions import db
from inkstand.media.models import Media
from inkstand.pages.models import Page
from tests.helpers import image_bytes
from tests.moving import wxr
from tests.moving.site import dump, empty_site, populate


def test_export_then_import_site(app, factory, tmp_path):
    populate(factory)
    target = tmp_path / "site.zip"
    result = app.test_cli_runner().invoke(args=["export", "--full", str(target)])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output
    before = dump()  # the export's own entry in the audit log is in it
    exported = before["audit_log"][-1]
    assert (exported["action"], exported["door"]) == ("site.exported", "cli")
    empty_site()
    result = app.test_cli_runner().invoke(args=["import", "site", str(target)])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert dump() == before


def test_import_site_into_a_site_with_accounts_says_why(app, factory, tmp_path):
    populate(factory)
    target = tmp_path / "site.zip"
    app.test_cli_runner().invoke(args=["export", str(target)])
    result = app.test_cli_runner().invoke(args=["import", "site", str(target)])
    assert result.exit_code == 1
    assert "already has accounts" in result.output


def test_import_wordpress_prints_the_report(app, admin, tmp_path):
    source = tmp_path / "old.xml"
    source.write_bytes(wxr.realistic())
    result = app.test_cli_runner().invoke(args=["import", "wordpress", str(source)])
    assert result.exit_code == 0, result.output
    assert "created      1 post (scheduled)" in result.output
    assert "skipped post 18 “Binned”: its state 'trash' is not one Inkstand keeps" in result.output
    assert "created      1 page (published)" in result.output
    assert db.session.scalar(select(func.count()).select_from(Post)) == 5
    assert db.session.scalar(select(Page.slug)) == "about"


def test_import_ghost_of_a_broken_file_fails_with_the_reason(app, admin, tmp_path):
    source = tmp_path / "ghost.json"
    source.write_text(json.dumps({"nothing": 1}))
    result = app.test_cli_runner().invoke(args=["import", "ghost", str(source)])
    assert result.exit_code == 1
    assert 'This is not a Ghost export: it has no "data".' in result.output


def test_import_ghost_keeps_the_images_of_its_images_folder(app, admin, tmp_path):
    images = tmp_path / "content" / "images"
    (images / "2024" / "01").mkdir(parents=True)
    (images / "2024" / "01" / "cover.png").write_bytes(image_bytes())
    post = {
        "id": "p1", "uuid": "p1", "title": "Covered", "slug": "covered", "html": "<p>x</p>",
        "status": "published", "published_at": "2024-01-02T12:00:00.000Z",
        "feature_image": "__GHOST_URL__/content/images/2024/01/cover.png",
    }  # fmt: skip
    source = tmp_path / "ghost.json"
    source.write_text(json.dumps({"data": {"posts": [post]}}))
    args = ["import", "ghost", str(source), "--images", str(images)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "created      1 post (published)" in result.output
    assert "note" not in result.output
    cover = db.session.scalar(select(Post.cover_id).where(Post.slug == "covered"))
    assert cover == db.session.scalar(select(Media.id))


def test_an_import_needs_an_admin(app, tmp_path):
    source = tmp_path / "old.xml"
    source.write_bytes(wxr.realistic())
    result = app.test_cli_runner().invoke(args=["import", "wordpress", str(source)])
    assert result.exit_code == 1
    assert "Name an admin account with --as" in result.output


def test_an_empty_site_has_nothing_to_export(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", str(tmp_path / "site.zip")])
    assert result.exit_code == 1
    assert "no admin account" in result.output
