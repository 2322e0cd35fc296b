"""account administration: suspension, demo accounts, invitations, and comments that
outlive their writer's account

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:40:00

"""

import sqlalchemy as sa
from alembic import op

import inkstand.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTERs, not a batch: on SQLite a batch would rebuild users.
    op.add_column(
        "users", sa.Column("suspended_at", inkstand.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "users", sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index("ix_users_created_at_id", "users", ["created_at", "id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", inkstand.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invitations_invited_by_id"), ["invited_by_id"], unique=False
        )

    # A deleted account's comments stay, by nobody.
    with op.batch_alter_table("comments", reflect_kwargs={"resolve_fks": False}) as batch_op:
        batch_op.alter_column("author_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint("fk_comments_author_id_users", type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_comments_author_id_users"), "users", ["author_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip


def downgrade():
    op.execute("DELETE FROM comments WHERE author_id IS NULL")
    with op.batch_alter_table("comments", reflect_kwargs={"resolve_fks": False}) as batch_op:
        batch_op.drop_constraint("fk_comments_author_id_users", type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_comments_author_id_users"), "users", ["author_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch_op.alter_column("author_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_invited_by_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_email"))
    op.drop_table("invitations")
    op.drop_index("ix_users_created_at_id", table_name="users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("demo")
        batch_op.drop_column("suspended_at")
