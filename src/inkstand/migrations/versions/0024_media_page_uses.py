"""the pages that show an image, recorded as the posts that do

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:30:00

"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# An uploaded image named in Markdown, as media.services.MEDIA_URL reads it (copied:
# a migration stays as it was written, whatever the app's code becomes).
MEDIA_URL = re.compile(r"/media/([0-9a-f]{64})\.(?:jpg|png|webp|gif)\b")


def upgrade():
    op.create_table(
        "media_page_uses",
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("page_title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_page_uses_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_media_page_uses_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", "page_id", name=op.f("pk_media_page_uses")),
    )
    op.create_index(
        op.f("ix_media_page_uses_page_id"), "media_page_uses", ["page_id"], unique=False
    )
    _record_existing_pages()


def _record_existing_pages():
    """A row per page and image its body names (every account's row of that image), as
    saving each page again would write. A site keeps at most a few hundred pages."""
    conn = op.get_bind()
    pages = sa.table(
        "pages", sa.column("id", sa.Integer), sa.column("title", sa.String),
        sa.column("body_source", sa.Text),
    )  # fmt: skip
    media = sa.table("media", sa.column("id", sa.Integer), sa.column("digest", sa.String))
    uses = sa.table(
        "media_page_uses", sa.column("media_id", sa.Integer), sa.column("page_id", sa.Integer),
        sa.column("page_title", sa.String),
    )  # fmt: skip
    named = {
        page_id: (title, set(MEDIA_URL.findall(body or "")))
        for page_id, title, body in conn.execute(
            sa.select(pages.c.id, pages.c.title, pages.c.body_source).order_by(pages.c.id)
        )
    }
    digests = set().union(*(found for _, found in named.values()))
    if not digests:
        return
    ids_by_digest: dict[str, list[int]] = {}
    for media_id, digest in conn.execute(
        sa.select(media.c.id, media.c.digest).where(media.c.digest.in_(sorted(digests)))
    ):
        ids_by_digest.setdefault(digest, []).append(media_id)
    rows = [
        {"media_id": media_id, "page_id": page_id, "page_title": title}
        for page_id, (title, found) in named.items()
        for digest in sorted(found)
        for media_id in ids_by_digest.get(digest, ())
    ]
    if rows:
        conn.execute(uses.insert(), rows)


def downgrade():
    op.drop_index(op.f("ix_media_page_uses_page_id"), table_name="media_page_uses")
    op.drop_table("media_page_uses")
