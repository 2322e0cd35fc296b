"""avatars uploaded by their accounts, and the media library read by keyset

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-07 13:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("avatar_name", sa.String(length=80), server_default="", nullable=False)
        )
    op.create_index("ix_media_created_at_id", "media", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_media_created_at_id", table_name="media")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("avatar_name")
