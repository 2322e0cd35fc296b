"""Migration 0024 records the images that the pages written before it show, as saving
each page again would, on both engines, and comes down again."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from inkstand.extensions import db
from tests.helpers import build_app, raw_accounts

SUNSET, HARBOUR, NOBODYS = "a" * 64, "b" * 64, "c" * 64


def _write_before(conn) -> None:
    """Two accounts holding the same sunset, one a harbour; three pages, as 0023 keeps them."""
    raw_accounts(conn, "ada", "bo")
    conn.execute(
        text(
            "INSERT INTO media (id, owner_id, digest, extension, width, height, size, created_at)"
            " VALUES (:id, :owner, :digest, :ext, 10, 10, 100, '2026-01-02 00:00:00')"
        ),
        [
            {"id": 11, "owner": 1, "digest": SUNSET, "ext": "jpg"},
            {"id": 12, "owner": 2, "digest": SUNSET, "ext": "jpg"},
            {"id": 13, "owner": 1, "digest": HARBOUR, "ext": "png"},
        ],
    )
    about = (
        f"Us: ![sunset](/media/{SUNSET}.jpg)\n\n![again](/media/{SUNSET}.jpg) "
        f"![harbour](/media/{HARBOUR}.png)"
    )
    conn.execute(
        text(
            "INSERT INTO pages (id, title, slug, body_source, body_html, status, created_at,"
            " updated_at) VALUES (:id, :title, :slug, :body, '', 'published',"
            " '2026-01-03 00:00:00', '2026-01-03 00:00:00')"
        ),
        [
            {"id": 21, "title": "About", "slug": "about", "body": about},
            {"id": 22, "title": "Colophon", "slug": "colophon", "body": "No picture."},
            {"id": 23, "title": "Gone", "slug": "gone", "body": f"![x](/media/{NOBODYS}.gif)"},
        ],
    )


def test_the_images_of_pages_written_before_are_recorded(empty_database: str, tmp_path: Path):
    app = build_app(tmp_path, empty_database)
    with app.app_context():
        upgrade(revision="0023")
        with db.engine.begin() as conn:
            _write_before(conn)

        upgrade(revision="0024")

        with db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT page_id, media_id, page_title FROM media_page_uses"
                    " ORDER BY page_id, media_id"
                )
            ).all()
        # The sunset once (both accounts' rows, as at every save) and the harbour; no
        # row for an image no account holds.
        assert [tuple(r) for r in rows] == [
            (21, 11, "About"),
            (21, 12, "About"),
            (21, 13, "About"),
        ]
        downgrade(revision="0023")
        assert "media_page_uses" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
