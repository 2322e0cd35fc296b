"""PostgreSQL keeps each search document in its row, not in the TOAST table

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 04:00:00

"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# A search tests the document of each of the newest posts it walks. A row of the index
# holds the post's text beside its document, so an ordinary post's row passes the 2 KB
# at which PostgreSQL moves its largest values out of line; the document went first,
# and each test read it back through the TOAST table's index. STORAGE MAIN moves the
# text out instead (only the ten shown are read) and keeps the document in the row.
# SQLite's FTS5 index has no such column.


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_index ALTER COLUMN document SET STORAGE MAIN")
    # A storage change applies to values written after it: each document is written
    # again (``||`` with an empty tsvector makes a new value, which PostgreSQL stores
    # afresh; assigning the column to itself would keep the TOAST pointer). The table is
    # locked meanwhile: searches and post saves wait (about 6 s at 100,000 posts), and
    # each row leaves a dead copy for VACUUM (docs/operations.md, Search).
    op.execute("UPDATE search_index SET document = document || ''::tsvector")


def downgrade():
    # Documents already in their rows may stay there: only later rows follow the default.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE search_index ALTER COLUMN document SET STORAGE EXTENDED")
