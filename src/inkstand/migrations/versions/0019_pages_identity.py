"""static pages and their revisions (the menu, icon, logo and footer are site settings)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 13:50:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", inkstand.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_pages_author_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_pages_slug")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pages_title_id", "pages", ["title", "id"], unique=False)
    op.create_table(
        "page_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["users.id"],
            name=op.f("fk_page_revisions_editor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_page_revisions_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_revisions")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "uq_page_revisions_page_id_number", "page_revisions", ["page_id", "number"], unique=True
    )


def downgrade():
    op.drop_index("uq_page_revisions_page_id_number", table_name="page_revisions")
    op.drop_table("page_revisions")
    op.drop_index("ix_pages_title_id", table_name="pages")
    op.drop_table("pages")
