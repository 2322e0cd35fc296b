"""log-in sessions that end: ended sessions, and a session generation per account

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:50:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not a batch: SQLite adds the column in place.
    op.add_column(
        "users",
        sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_table(
        "ended_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ended_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_sessions")),
    )  # fmt: skip
    with op.batch_alter_table("ended_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_ended_sessions_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_ended_sessions_user_id", ["user_id"], unique=False)


def downgrade():
    op.drop_table("ended_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
