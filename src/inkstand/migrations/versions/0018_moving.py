"""imports: runs with their progress, imported source ids, old addresses of posts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 13:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_import_runs_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "imported_items",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "kind", "source_id", name=op.f("pk_imported_items")),
    )
    op.create_table(
        "moved_links",
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_moved_links_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_moved_links")),
    )
    op.create_index("ix_moved_links_post_id", "moved_links", ["post_id"], unique=False)


def downgrade():
    op.drop_index("ix_moved_links_post_id", table_name="moved_links")
    op.drop_table("moved_links")
    op.drop_table("imported_items")
    op.drop_table("import_runs")
