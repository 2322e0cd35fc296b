"""newsletter sends claimed before their mail goes, marked sent after

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 14:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before this were recorded as sent.
    with op.batch_alter_table("newsletter_sends", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=8), nullable=False, server_default="sent")
        )


def downgrade():
    with op.batch_alter_table("newsletter_sends", schema=None) as batch_op:
        batch_op.drop_column("state")
