"""page views and the daily salts of visitor ids

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:50:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "page_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("viewed_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("referrer_host", sa.Text(), nullable=False),
        sa.Column("utm_source", sa.Text(), nullable=False),
        sa.Column("utm_medium", sa.Text(), nullable=False),
        sa.Column("utm_campaign", sa.Text(), nullable=False),
        sa.Column("device", sa.String(length=50), nullable=False),
        sa.Column("browser", sa.String(length=50), nullable=False),
        sa.Column("os", sa.String(length=50), nullable=False),
        sa.Column("visitor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_page_views_post_id_posts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_views")),
    )
    with op.batch_alter_table("page_views", schema=None) as batch_op:
        batch_op.create_index("ix_page_views_day", ["day"], unique=False)
        batch_op.create_index("ix_page_views_post_id_day", ["post_id", "day"], unique=False)
        batch_op.create_index("ix_page_views_viewed_at", ["viewed_at"], unique=False)

    op.create_table(
        "visitor_salts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_visitor_salts")),
    )


def downgrade():
    op.drop_table("visitor_salts")
    with op.batch_alter_table("page_views", schema=None) as batch_op:
        batch_op.drop_index("ix_page_views_viewed_at")
        batch_op.drop_index("ix_page_views_post_id_day")
        batch_op.drop_index("ix_page_views_day")
    op.drop_table("page_views")
