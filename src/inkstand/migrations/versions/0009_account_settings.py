"""account settings: the nonce of the link that confirms a new address, old usernames

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:45:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "username_redirects",
        sa.Column("username", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_username_redirects_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_username_redirects")),
    )
    with op.batch_alter_table("username_redirects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_username_redirects_user_id"), ["user_id"], unique=False
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_change_nonce", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_change_nonce")
    with op.batch_alter_table("username_redirects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_username_redirects_user_id"))
    op.drop_table("username_redirects")
