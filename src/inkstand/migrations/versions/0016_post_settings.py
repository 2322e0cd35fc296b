"""post settings: meta title and description, canonical URL, featured flag, co-authors;
revisions record them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_SETTINGS = ("meta_title", 200), ("meta_description", 500), ("canonical_url", 1000)


def _settings_columns() -> list[sa.Column]:
    columns = [
        sa.Column(name, sa.String(length=size), server_default="", nullable=False)
        for name, size in _SETTINGS
    ]
    return [
        *columns,
        sa.Column("featured", sa.Boolean(), server_default=sa.false(), nullable=False),
    ]


def upgrade():
    # Plain ADD COLUMN: a batch rebuild of posts on SQLite would drop the search trigger.
    for column in _settings_columns():
        op.add_column("posts", column)
    for column in _settings_columns():
        op.add_column("revisions", column)
    op.add_column(
        "revisions",
        sa.Column("coauthors_text", sa.String(length=500), server_default="", nullable=False),
    )
    op.create_index(
        "ix_posts_featured_published_at_id", "posts", ["featured", "published_at", "id"]
    )
    op.create_index("ix_posts_title_id", "posts", ["title", "id"])
    op.create_index("ix_posts_created_at_id", "posts", ["created_at", "id"])
    op.create_index("ix_posts_author_id_title_id", "posts", ["author_id", "title", "id"])
    op.create_index("ix_posts_author_id_created_at_id", "posts", ["author_id", "created_at", "id"])
    op.create_table(
        "post_authors",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_authors_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_post_authors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id", name=op.f("pk_post_authors")),
    )
    op.create_index("ix_post_authors_user_id_post_id", "post_authors", ["user_id", "post_id"])


def downgrade():
    op.drop_table("post_authors")
    op.drop_index("ix_posts_author_id_created_at_id", "posts")
    op.drop_index("ix_posts_author_id_title_id", "posts")
    op.drop_index("ix_posts_created_at_id", "posts")
    op.drop_index("ix_posts_title_id", "posts")
    op.drop_index("ix_posts_featured_published_at_id", "posts")
    with op.batch_alter_table("revisions") as batch:
        for name in ("coauthors_text", "featured", *(n for n, _ in _SETTINGS)):
            batch.drop_column(name)
    with op.batch_alter_table("posts") as batch:
        for name in ("featured", *(n for n, _ in _SETTINGS)):
            batch.drop_column(name)
