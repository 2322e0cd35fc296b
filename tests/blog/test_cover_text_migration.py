"""Migration 0025 gives every post written before it an empty cover description and
caption, keeps the search trigger on SQLite, and comes down again, on both engines."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from inkstand.extensions import db
from tests.helpers import build_app, raw_accounts, raw_post


def _write_before(conn) -> None:
    """An account and a post with a cover name, as 0024 keeps them."""
    raw_accounts(conn, "ada")
    raw_post(conn, 7, "Heron", "heron", "Text.", cover_name=f"{'a' * 64}.jpg")


def _triggers(conn) -> set[str]:
    if conn.dialect.name != "sqlite":
        return set()
    found = conn.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts'")
    )
    return set(found.scalars())


def test_posts_written_before_have_no_words_and_the_migration_comes_down(
    empty_database: str, tmp_path: Path
):
    app = build_app(tmp_path, empty_database)
    with app.app_context():
        upgrade(revision="0024")
        with db.engine.begin() as conn:
            _write_before(conn)
            triggers = _triggers(conn)

        upgrade(revision="0025")

        with db.engine.connect() as conn:
            row = conn.execute(text("SELECT cover_alt, cover_caption FROM posts")).one()
            assert tuple(row) == ("", "")
            assert _triggers(conn) == triggers
        downgrade(revision="0024")
        columns = {c["name"] for c in inspect(db.engine).get_columns("posts")}
        assert not {"cover_alt", "cover_caption"} & columns
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT title FROM posts")).scalar() == "Heron"
            assert _triggers(conn) == triggers
        db.engine.dispose()
