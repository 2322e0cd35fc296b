"""media: uploaded images, the posts that use them, post covers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:40:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# On SQLite a batch change that must rebuild a table (a new foreign key) copies it into
# a new one and drops the old, and its triggers with it: the search index's trigger on
# posts (0006) is made again after each rebuild of posts.
SEARCH_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS search_index_post_deleted AFTER DELETE ON posts "
    "BEGIN DELETE FROM search_index WHERE rowid = old.id; END"
)


def _keep_search_trigger():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SEARCH_TRIGGER)


def upgrade():
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("extension", sa.String(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_media_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
        sa.UniqueConstraint("owner_id", "digest", name=op.f("uq_media_owner_id")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_digest"), ["digest"], unique=False)
        batch_op.create_index(
            "ix_media_owner_id_created_at", ["owner_id", "created_at"], unique=False
        )

    # Reflecting only posts (not the users table its author_id names) on SQLite.
    with op.batch_alter_table("posts", reflect_kwargs={"resolve_fks": False}) as batch_op:
        batch_op.add_column(sa.Column("cover_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("cover_name", sa.String(length=80), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("cover_srcset", sa.String(length=1000), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_posts_cover_id_media"), "media", ["cover_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
    _keep_search_trigger()

    op.create_table(
        "media_uses",
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("post_title", sa.String(length=200), nullable=False),
        sa.Column("as_cover", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_uses_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_media_uses_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", "post_id", name=op.f("pk_media_uses")),
    )
    with op.batch_alter_table("media_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_uses_post_id"), ["post_id"], unique=False)


def downgrade():
    with op.batch_alter_table("media_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_uses_post_id"))
    op.drop_table("media_uses")
    with op.batch_alter_table("posts", reflect_kwargs={"resolve_fks": False}) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_posts_cover_id_media"), type_="foreignkey")
        batch_op.drop_column("cover_srcset")
        batch_op.drop_column("cover_name")
        batch_op.drop_column("cover_id")
    _keep_search_trigger()
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index("ix_media_owner_id_created_at")
        batch_op.drop_index(batch_op.f("ix_media_digest"))
    op.drop_table("media")
