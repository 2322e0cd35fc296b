"""The migrations build the schema the models describe, on both engines."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from inkstand.extensions import db
from inkstand.search import index as search_index
from tests.helpers import build_app


def test_upgrade_builds_every_table_on_an_empty_database(database_url, tmp_path):
    # The session fixture already upgraded this database once from empty; a second
    # upgrade is a no-op, and every model table is there.
    app = build_app(tmp_path, database_url)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names()) - search_index.TABLES
        db.engine.dispose()
    assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == tables


def test_upgrade_from_nothing_on_a_new_sqlite_file(tmp_path):
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with app.app_context():
        upgrade()
        assert "posts" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def _modelled(obj, name, type_, reflected, compare_to):
    """What the models describe: not the search index, made by migration 0006 alone."""
    return not (type_ == "table" and reflected and name in search_index.TABLES)


def test_search_index_is_built_on_each_engine(app):
    tables = set(inspect(db.engine).get_table_names())
    assert search_index.TABLE in tables


def test_the_search_trigger_outlives_every_rebuild_of_posts(tmp_path):
    """SQLite drops a table's triggers when a batch migration rebuilds it: after the
    last migration the trigger that takes deleted posts out of the index is there."""
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with app.app_context():
        upgrade()
        triggers = db.session.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts'")
        ).scalars()
        assert "search_index_post_deleted" in set(triggers)
        db.session.remove()
        db.engine.dispose()


def test_models_match_migrations(app):
    with db.engine.connect() as conn, warnings.catch_warnings():
        # Alembic cannot compare expression indexes (lower(username)) and says so.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _modelled}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []
