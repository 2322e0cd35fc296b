"""comments, and on posts: comments_closed and the count of approved comments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 09:30:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Not in a batch: SQLite adds a column whose default is an expression (false())
    # with a plain ALTER TABLE, where a batch would copy the whole table.
    op.add_column(
        "posts",
        sa.Column("comments_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "posts", sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False)
    )

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", inkstand.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name=op.f("fk_comments_parent_id_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comments_author_id_post_id_created_at",
            ["author_id", "post_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_comments_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            "ix_comments_post_id_created_at_id", ["post_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_comments_status_created_at_id", ["status", "created_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_status_created_at_id")
        batch_op.drop_index("ix_comments_post_id_created_at_id")
        batch_op.drop_index(batch_op.f("ix_comments_parent_id"))
        batch_op.drop_index("ix_comments_author_id_post_id_created_at")

    op.drop_table("comments")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("comment_count")
        batch_op.drop_column("comments_closed")
