"""posts.tag_names: each post's tag names, so lists show tags without a query

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 02:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tag_names", sa.String(length=500), server_default="", nullable=False)
        )

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT post_tags.post_id, tags.name FROM post_tags "
            "JOIN tags ON tags.id = post_tags.tag_id ORDER BY post_tags.post_id, tags.name"
        )
    )
    names: dict[int, list[str]] = {}
    for post_id, name in rows:
        names.setdefault(post_id, []).append(name)
    for post_id, tags in names.items():
        conn.execute(
            sa.text("UPDATE posts SET tag_names = :names WHERE id = :id"),
            {"names": ",".join(tags), "id": post_id},
        )


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("tag_names")
