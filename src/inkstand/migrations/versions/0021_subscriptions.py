"""subscriptions by e-mail, newsletters and their sends

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:20:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("confirm_nonce", sa.String(length=32), nullable=True),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("consent", sa.String(length=16), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", inkstand.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_subscribers_author_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("email", "scope", name=op.f("uq_subscribers_email")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscribers_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscribers_created_at"), ["created_at"], unique=False)

    op.create_table(
        "newsletter_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("sent_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_newsletter_sends_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_sends")),
        sa.UniqueConstraint("post_id", "address_digest", name=op.f("uq_newsletter_sends_post_id")),
    )
    op.create_table(
        "newsletters",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("started_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", inkstand.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_newsletters_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_newsletters")),
    )
    with op.batch_alter_table("newsletters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletters_finished_at"), ["finished_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("newsletters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletters_finished_at"))

    op.drop_table("newsletters")
    op.drop_table("newsletter_sends")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscribers_created_at"))
        batch_op.drop_index(batch_op.f("ix_subscribers_author_id"))

    op.drop_table("subscribers")
