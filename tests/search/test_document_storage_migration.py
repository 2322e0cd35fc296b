"""Migration 0026: PostgreSQL keeps a post's search document in the index's row, for
rows written before it too, so a search reads it without a TOAST lookup; it comes down
again (later rows then follow PostgreSQL's default), and on SQLite it changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import Connection, text
from sqlalchemy.exc import ProgrammingError

from inkstand.extensions import db
from inkstand.search import index
from inkstand.search.documents import document
from tests.helpers import build_app, raw_accounts, raw_post

# An ordinary post's text: its index row passes the 2 KB at which PostgreSQL moves
# values out of line, as most posts' rows do.
WORDS = (
    "most slow pages are slow for one boring reason and the first job is to find it "
    "guessing is cheaper than measuring only until the guess is wrong the rule of thumb "
    "do the expensive thing once when the data changes not every time someone looks at "
    "it indexes are a trade faster reads for slower writes and more disk make the trade "
    "on purpose with the query in front of you keyset pagination costs the same on page "
    "one and page five thousand offset reads every row it skips caches need a budget "
    "a size and an owner who empties them render the markdown once on save and keep the "
    "html the templates escape everything a writer typed profile before you optimise "
    "premature optimisation promises much and returns little measure twice cut once"
)


def _write_before(conn: Connection) -> None:
    raw_accounts(conn, "ada")
    raw_post(conn, 7, "Keyset pagination in practice", "keyset", WORDS)
    index.write(
        conn, [document(7, "Keyset pagination in practice", "databases", WORDS[:300], WORDS)]
    )


def _document_out_of_line(conn: Connection) -> bool:
    """Whether the live row's document is a pointer into the TOAST table: read from the
    row's page itself (pageinspect), as the header byte 0x01 and tag 18 (on disk) of
    such a pointer."""
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    except ProgrammingError as refused:  # InsufficientPrivilege: not a superuser
        pytest.skip(f"reading a page takes a superuser's rights: {refused.orig}")
    heads = conn.execute(
        text(
            "SELECT substring(t_attrs[(SELECT attnum FROM pg_attribute"
            " WHERE attrelid = 'search_index'::regclass AND attname = 'document')]"
            " FROM 1 FOR 2) FROM heap_page_item_attrs(get_raw_page('search_index',"
            " (SELECT (ctid::text::point)[0]::int FROM search_index WHERE post_id = 7)),"
            " 'search_index'::regclass) WHERE lp_flags = 1 AND t_xmax = 0"
        )
    ).scalars()
    [head] = list(heads)
    return bytes(head) == b"\x01\x12"


def _storage(conn: Connection) -> str:
    return conn.execute(
        text(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'search_index'::regclass AND attname = 'document'"
        )
    ).scalar_one()


def _found(conn: Connection) -> list[int]:
    if conn.dialect.name == "postgresql":
        stmt = "SELECT post_id FROM search_index WHERE document @@ plainto_tsquery('english', :q)"
    else:
        stmt = "SELECT rowid FROM search_index WHERE search_index MATCH :q"
    return list(conn.execute(text(stmt), {"q": "budget"}).scalars())


def test_documents_written_before_move_into_their_rows_and_back(
    empty_database: str, tmp_path: Path
):
    app = build_app(tmp_path, empty_database)
    with app.app_context():
        upgrade(revision="0025")
        with db.engine.begin() as conn:
            _write_before(conn)
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:
            with db.engine.begin() as conn:
                assert (_storage(conn), _document_out_of_line(conn)) == ("x", True)

        upgrade(revision="0026")

        with db.engine.begin() as conn:
            assert _found(conn) == [7]
            if postgresql:
                assert (_storage(conn), _document_out_of_line(conn)) == ("m", False)
        downgrade(revision="0025")
        with db.engine.begin() as conn:
            assert _found(conn) == [7]
            if postgresql:
                assert _storage(conn) == "x"
        db.engine.dispose()


def test_a_post_indexed_now_keeps_its_document_in_its_row(empty_database: str, tmp_path: Path):
    app = build_app(tmp_path, empty_database)
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            _write_before(conn)
            assert _found(conn) == [7]
            if db.engine.dialect.name == "postgresql":
                assert not _document_out_of_line(conn)
        db.engine.dispose()
