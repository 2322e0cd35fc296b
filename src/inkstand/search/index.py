"""The search index: one row per post, kept in step with the posts by the session.

SQLite keeps an FTS5 table (``search_index``, rowid = post id); PostgreSQL a table
of the same name with the text and a weighted ``tsvector`` under a GIN index. Both
are made by migration 0006, outside the ORM models. An ``after_flush`` listener
writes the document of every post whose indexed fields changed, in the same
transaction as the change, so no service has to remember it and every door (pages,
both APIs, the command line) keeps the index right. A deleted post leaves the index
by the database itself (a trigger on SQLite, a cascading foreign key on PostgreSQL),
however it is deleted. States (draft, scheduled, published, archived) are not
indexed: searches read them from ``posts``, so a change of state needs no write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, event, func, inspect, select, text
from sqlalchemy.orm import Session

from inkstand.blog.models import Post
from inkstand.search.documents import Document, document
from inkstand.site.models import SiteSetting

TABLE = "search_index"
# The ORM does not describe the index: these are its tables on either engine (FTS5's
# own tables on SQLite), which migrations and schema checks leave alone.
TABLES = frozenset(
    {TABLE} | {f"{TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")}
)
LANGUAGE_KEY = "search_language"
DEFAULT_LANGUAGE = "english"
INDEXED_FIELDS = ("title", "tag_names", "excerpt", "body_html")

# The document of a row, from its four columns: title A, tags B, excerpt C, body D, each
# read in the site's language ("inkstand_english": the language's own configuration
# with accents folded by unaccent, made by migration 0006). Written out whole: no SQL
# here is assembled from strings.
_PG_UPSERT = text(
    "INSERT INTO search_index (post_id, title, tags, excerpt, body, document) "
    "SELECT :post_id, :title, :tags, :excerpt, :body, "
    "setweight(to_tsvector(config, :title), 'A') || setweight(to_tsvector(config, :tags), 'B') "
    "|| setweight(to_tsvector(config, :excerpt), 'C') "
    "|| setweight(to_tsvector(config, :body), 'D') "
    "FROM (SELECT CAST('inkstand_' || COALESCE((SELECT value FROM site_settings "
    "WHERE key = 'search_language'), 'english') AS regconfig) AS config) AS language "
    "ON CONFLICT (post_id) DO UPDATE SET title = excluded.title, tags = excluded.tags, "
    "excerpt = excluded.excerpt, body = excluded.body, document = excluded.document"
)
_PG_REWEIGH = text(
    "UPDATE search_index SET document = "
    "setweight(to_tsvector(config, title), 'A') || setweight(to_tsvector(config, tags), 'B') "
    "|| setweight(to_tsvector(config, excerpt), 'C') "
    "|| setweight(to_tsvector(config, body), 'D') "
    "FROM (SELECT CAST('inkstand_' || COALESCE((SELECT value FROM site_settings "
    "WHERE key = 'search_language'), 'english') AS regconfig) AS config) AS language"
)
_SQLITE_DELETE = text("DELETE FROM search_index WHERE rowid = :post_id")
_SQLITE_INSERT = text(
    "INSERT INTO search_index (rowid, title, tags, excerpt, body) "
    "VALUES (:post_id, :title, :tags, :excerpt, :body)"
)
_CLEAR = text("DELETE FROM search_index")


def write(conn: Connection, documents: Sequence[Document]) -> None:
    """Put these documents in the index, replacing what it had for their posts."""
    if not documents:
        return
    rows = [d.row() for d in documents]
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_UPSERT, rows)
    else:
        conn.execute(_SQLITE_DELETE, [{"post_id": d.post_id} for d in documents])
        conn.execute(_SQLITE_INSERT, rows)


def clear(conn: Connection) -> None:
    conn.execute(_CLEAR)


def of_post(post: Post) -> Document:
    return document(post.id, post.title, post.tag_names, post.excerpt, post.body_html)


def _changed(session: Session, obj: Any) -> bool:
    if not isinstance(obj, Post) or obj in session.deleted:
        return False
    if obj in session.new:
        return True
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in INDEXED_FIELDS)


def _language_changed(session: Session) -> bool:
    for o in (*session.new, *session.dirty):
        if isinstance(o, SiteSetting) and o.key == LANGUAGE_KEY:
            if o in session.new:
                return bool(o.value != DEFAULT_LANGUAGE)
            return bool(inspect(o).attrs.value.history.has_changes())
    return False


@event.listens_for(Session, "after_flush")
def _follow_posts(session: Session, flush_context: Any) -> None:
    """Index the posts this flush created or whose indexed text it changed; on a new
    search language, re-read every document in it (PostgreSQL: SQLite has no stemming)."""
    changed = [of_post(o) for o in (*session.new, *session.dirty) if _changed(session, o)]
    reweigh = _language_changed(session)
    if not changed and not reweigh:
        return
    conn = session.connection()
    write(conn, changed)
    if reweigh and conn.dialect.name == "postgresql":
        conn.execute(_PG_REWEIGH)


def rebuild(
    conn: Connection, batch: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Empty the index and index every post again, ``batch`` posts a statement;
    ``progress`` hears how many each batch added. Returns how many were indexed."""
    clear(conn)
    columns = (Post.id, Post.title, Post.tag_names, Post.excerpt, Post.body_html)
    last, done = 0, 0
    while True:
        rows = conn.execute(
            select(*columns).where(Post.id > last).order_by(Post.id).limit(batch)
        ).all()
        if not rows:
            return done
        write(conn, [document(*row) for row in rows])
        last, done = rows[-1][0], done + len(rows)
        if progress is not None:
            progress(len(rows))


def post_count(conn: Connection) -> int:
    return conn.scalar(select(func.count(Post.id))) or 0


def indexed_ids(conn: Connection, ids: Iterable[int] | None = None) -> set[int]:
    """The posts the index holds (of ``ids``, if given)."""
    postgresql = conn.dialect.name == "postgresql"
    stmt = "SELECT post_id FROM search_index" if postgresql else "SELECT rowid FROM search_index"
    found = {row[0] for row in conn.execute(text(stmt))}
    return found if ids is None else found & set(ids)
