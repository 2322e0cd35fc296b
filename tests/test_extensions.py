"""Every database connection is set up the same way when the pool opens it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from inkstand.extensions import SQLITE_CACHE_KB, db


def test_each_sqlite_connection_keeps_a_small_page_cache_of_its_own(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a setting of SQLite's connections")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.scalar(text("PRAGMA cache_size")) == -SQLITE_CACHE_KB
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
