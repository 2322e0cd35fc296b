"""a version on each post, raised by every save, for refusing stale saves; the
working revisions autosave writes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:50:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "working_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("excerpt_source", sa.String(length=500), nullable=False),
        sa.Column("tags_text", sa.String(length=500), nullable=False),
        sa.Column("saved_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["users.id"],
            name=op.f("fk_working_revisions_editor_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_working_revisions_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_working_revisions")),
    )
    with op.batch_alter_table("working_revisions") as batch:
        batch.create_index(
            "uq_working_revisions_post_id_editor_id", ["post_id", "editor_id"], unique=True
        )


def downgrade():
    op.drop_table("working_revisions")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("version")
