"""ids never reused: SQLite AUTOINCREMENT on every table whose ids clients see

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:40:00

Without AUTOINCREMENT, SQLite gives a new row the largest id in the table plus one: after
the newest post is deleted, the next post takes its id, and a retried DELETE or a client
holding the old id acts on another post. PostgreSQL's sequences never go back: nothing
to do there.

On SQLite the keyword is part of the table's definition, so each table is rebuilt (a
batch copy). Foreign keys are switched off around the rebuilds: with them on, dropping
the old posts table would delete, by cascade, every comment and revision of every post.
What reflection cannot copy (an index on an expression, such as lower(username), and
the search index's trigger on posts) is written again from its own SQL.
"""

import warnings
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Parents before children; each has an integer id clients see (in URLs, tokens, cursors,
# event ids, mailed links). page_views, working_revisions and recovery_codes keep theirs
# to themselves.
TABLES = ("users", "api_tokens", "invitations", "tags", "media", "posts", "revisions",
          "comments", "comment_events")  # fmt: skip


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)


def _rebuild(autoincrement):
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw: Any = bind.connection.dbapi_connection  # sqlite3's own connection
    # PRAGMA foreign_keys is ignored inside a transaction: end the one the earlier
    # migrations of this run opened (SQLite's DDL is transactional: it is kept).
    if raw.in_transaction:
        raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        for table in TABLES:
            _rebuild_table(bind, table, autoincrement)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
        raw.commit()
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _rebuild_table(bind, table, autoincrement):
    kept = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = :table "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ),
        {"table": table},
    ).all()
    with warnings.catch_warnings():  # such an index is written again below
        warnings.filterwarnings("ignore", message=".*reflection of expression-based index")
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement},
            reflect_kwargs={"resolve_fks": False},
        ):  # fmt: skip
            pass
    present = set(
        bind.execute(
            sa.text("SELECT name FROM sqlite_master WHERE tbl_name = :table"), {"table": table}
        ).scalars()
    )
    for name, sql in kept:
        if name not in present:
            op.execute(sql)
