"""the audit log of administrative actions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 13:40:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_label", sa.String(length=200), nullable=False),
        sa.Column("door", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_log_actor_id_created_at", ["actor_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_log_target", ["target_kind", "target_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_log_action_created_at", ["action", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_action_created_at")
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index("ix_audit_log_actor_id_created_at")
        batch_op.drop_index("ix_audit_log_created_at_id")
    op.drop_table("audit_log")
