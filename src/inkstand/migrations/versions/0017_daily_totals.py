"""daily totals of page views, rolled up from the raw views

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None
ROLLED_MARK = "scope = 'site' AND kind = 'views'"


def upgrade():
    op.create_table(
        "daily_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("a", sa.Text(), nullable=False),
        sa.Column("b", sa.Text(), nullable=False),
        sa.Column("c", sa.Text(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_daily_totals_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_daily_totals_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_totals")),
    )
    with op.batch_alter_table("daily_totals", schema=None) as batch_op:
        batch_op.create_index("ix_daily_totals_author_id_day", ["author_id", "day"], unique=False)
        batch_op.create_index(
            "ix_daily_totals_post_id_kind_day", ["post_id", "kind", "day"], unique=False
        )
        batch_op.create_index(
            "ix_daily_totals_scope_kind_day", ["scope", "kind", "day"], unique=False
        )
        batch_op.create_index(
            "ux_daily_totals_rolled_day",
            ["day"],
            unique=True,
            sqlite_where=sa.text(ROLLED_MARK),
            postgresql_where=sa.text(ROLLED_MARK),
        )


def downgrade():
    with op.batch_alter_table("daily_totals", schema=None) as batch_op:
        batch_op.drop_index("ux_daily_totals_rolled_day")
        batch_op.drop_index("ix_daily_totals_scope_kind_day")
        batch_op.drop_index("ix_daily_totals_post_id_kind_day")
        batch_op.drop_index("ix_daily_totals_author_id_day")
    op.drop_table("daily_totals")
