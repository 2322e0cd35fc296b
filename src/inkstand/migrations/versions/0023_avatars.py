"""avatars uploaded by their accounts, and the media library read by keyset

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 13:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


# Plain ALTERs, not a batch: on SQLite a batch would rebuild users (and its rebuild,
# going down, fails on the table's lock).
def upgrade():
    op.add_column(
        "users", sa.Column("avatar_name", sa.String(length=80), server_default="", nullable=False)
    )
    op.create_index("ix_media_created_at_id", "media", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_media_created_at_id", table_name="media")
    op.drop_column("users", "avatar_name")
