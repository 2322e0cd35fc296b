"""indexes for the writers' posts page, ordered by last edit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 03:25:00

"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_posts_updated_at_id", "posts", ["updated_at", "id"])
    op.create_index("ix_posts_author_id_updated_at_id", "posts", ["author_id", "updated_at", "id"])


def downgrade():
    op.drop_index("ix_posts_author_id_updated_at_id", table_name="posts")
    op.drop_index("ix_posts_updated_at_id", table_name="posts")
