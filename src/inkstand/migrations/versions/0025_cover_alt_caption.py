"""a post's cover gets a text alternative and a caption

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_COLUMNS = ("cover_alt", 300), ("cover_caption", 500)


def upgrade():
    # Plain ADD COLUMN: a batch rebuild of posts on SQLite would drop the search trigger.
    for name, size in _COLUMNS:
        op.add_column(
            "posts", sa.Column(name, sa.String(length=size), server_default="", nullable=False)
        )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35 and later), for the same reason.
    for name, _ in reversed(_COLUMNS):
        op.drop_column("posts", name)
