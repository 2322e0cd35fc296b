"""the trash of deleted posts (posts.deleted_at), each account's time zone, and every
field of a post in its revisions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 10:40:00

Columns are added with ALTER TABLE (no batch rebuild of ``posts`` on SQLite, which
would drop the search index's trigger); indexes are created and dropped alike.
"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OLD_VISIBILITY = "ix_posts_id_status_published_at_author_id"
VISIBILITY = "ix_posts_id_status_published_at_author_id_deleted_at"


def upgrade():
    op.add_column(
        "posts", sa.Column("deleted_at", inkstand.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_posts_deleted_at_id", "posts", ["deleted_at", "id"], unique=False)
    op.drop_index(OLD_VISIBILITY, table_name="posts")
    op.create_index(
        VISIBILITY, "posts", ["id", "status", "published_at", "author_id", "deleted_at"]
    )
    op.add_column(
        "users",
        sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False),
    )
    op.add_column(
        "revisions", sa.Column("slug", sa.String(length=120), server_default="", nullable=False)
    )
    op.add_column(
        "revisions", sa.Column("status", sa.String(length=16), server_default="", nullable=False)
    )
    op.add_column(
        "revisions",
        sa.Column("published_at", inkstand.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("revisions", sa.Column("comments_closed", sa.Boolean(), nullable=True))


def downgrade():
    for column in ("comments_closed", "published_at", "status", "slug"):
        op.drop_column("revisions", column)
    op.drop_column("users", "time_zone")
    op.drop_index(VISIBILITY, table_name="posts")
    op.create_index(OLD_VISIBILITY, "posts", ["id", "status", "published_at", "author_id"])
    op.drop_index("ix_posts_deleted_at_id", table_name="posts")
    op.drop_column("posts", "deleted_at")
