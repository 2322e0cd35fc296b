"""search index (FTS5 on SQLite, a weighted tsvector under GIN on PostgreSQL), post states by id

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:45:00

"""

import sqlalchemy as sa
from alembic import op

from inkstand.search.documents import document

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The languages of site/services.py SEARCH_LANGUAGES, as they were when written.
LANGUAGES = (
    "simple", "danish", "dutch", "english", "finnish", "french", "german", "hungarian",
    "italian", "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish",
    "turkish",
)  # fmt: skip
WORDS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"


def _sqlite():
    op.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "title, tags, excerpt, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER search_index_post_deleted AFTER DELETE ON posts "
        "BEGIN DELETE FROM search_index WHERE rowid = old.id; END"
    )


def _postgresql():
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    for language in LANGUAGES:
        stem = "simple" if language == "simple" else f"{language}_stem"
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION inkstand_{language} (COPY = {language})")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION inkstand_{language} "
            f"ALTER MAPPING FOR {WORDS} WITH unaccent, {stem}"
        )
    op.execute(
        "CREATE TABLE search_index ("
        "post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE, "
        "title text NOT NULL, tags text NOT NULL, excerpt text NOT NULL, body text NOT NULL, "
        "document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_search_index_document ON search_index USING gin (document)")


def _fill():
    """Index the posts there are, as inkstand.search.index does for every save."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, title, tag_names, excerpt, body_html FROM posts"))
    documents = [document(*row).row() for row in rows]
    if not documents:
        return
    if conn.dialect.name == "postgresql":
        statement = (
            "INSERT INTO search_index (post_id, title, tags, excerpt, body, document) "
            "VALUES (:post_id, :title, :tags, :excerpt, :body, "
            "setweight(to_tsvector('inkstand_english', :title), 'A') "
            "|| setweight(to_tsvector('inkstand_english', :tags), 'B') "
            "|| setweight(to_tsvector('inkstand_english', :excerpt), 'C') "
            "|| setweight(to_tsvector('inkstand_english', :body), 'D'))"
        )
    else:
        statement = (
            "INSERT INTO search_index (rowid, title, tags, excerpt, body) "
            "VALUES (:post_id, :title, :tags, :excerpt, :body)"
        )
    conn.execute(sa.text(statement), documents)


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_posts_id_status_published_at_author_id",
            ["id", "status", "published_at", "author_id"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()
    _fill()


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_id_status_published_at_author_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE search_index")
        for language in LANGUAGES:
            op.execute(f"DROP TEXT SEARCH CONFIGURATION inkstand_{language}")
    else:
        op.execute("DROP TRIGGER search_index_post_deleted")
        op.execute("DROP TABLE search_index")
