"""a version on each post, raised by every save, for refusing stale saves

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 10:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("version")
