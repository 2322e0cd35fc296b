"""The one search, written for each engine: FTS5 on SQLite, tsvector on PostgreSQL.

Both build the engine's query from a parsed ``Query`` (never from typed text) and
pass every word as a bound parameter. Both return rows of the post, its rank (lower
is better), its title and its body: marked by PostgreSQL's ts_headline (it knows the
stems), as plain text from SQLite (search.highlight marks them).
Each ranks the newest ``window`` matching posts the viewer may see (0: all of them),
so a page costs the same however many posts match; the rank is a keyset. The older
matches follow the ranked ones, newest first, with the rank BEYOND (above every real
rank): every match is reachable, and a page of them is read by id, so it costs the
same too. The cursor is in the SQL either way. PostgreSQL's window is read by id
too (_pg_window): its GIN index finds matches in no order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import aliased, contains_eager, defer

from inkstand.accounts.models import User
from inkstand.blog.models import Post, PostAuthor, Status
from inkstand.db import UTCDateTime
from inkstand.pagination import RankCursor
from inkstand.search.documents import CLOSE, OPEN
from inkstand.search.index import TABLE
from inkstand.search.query import Query, Term

# Title, tags, excerpt, body: a match in the title counts most (bm25's weights in
# _SQLITE_WINDOW; ts_rank_cd's defaults, 1.0 A, 0.4 B, 0.2 C, 0.1 D).
SNIPPET_WORDS = 24
ELLIPSIS = "…"
PG_TITLE = f"HighlightAll=true, StartSel={OPEN}, StopSel={CLOSE}"
PG_SNIPPET = (
    f'MaxWords={SNIPPET_WORDS}, MinWords=12, MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} ", '
    f"StartSel={OPEN}, StopSel={CLOSE}"
)

#: The rank of a match older than the ranked window: after every ranked match (bm25 and
#: -ts_rank_cd are never above 0), ordered among themselves by id, newest first.
BEYOND = 1.0

_fts = table(TABLE, column("rowid"), column("title"), column("body"))
_pg = table(TABLE, column("post_id"), column("title"), column("body"), column("document"))


@dataclass(frozen=True)
class Visibility:
    """What a search may find: listed posts (published, their time come), and any post
    of the viewer's own (``author_id``; None for a visitor); never a post in the trash."""

    now: datetime
    author_id: int | None

    def over(self, posts: Any) -> ColumnElement[bool]:
        """The rule over the columns of ``posts``; the time and the viewer are the bound
        parameters "now" and "viewer" (``params``)."""
        now = bindparam("now", self.now, type_=UTCDateTime())
        listed = and_(posts.c.status == Status.PUBLISHED.value, posts.c.published_at <= now)
        if self.author_id is None:
            return and_(posts.c.deleted_at.is_(None), listed)
        mine = posts.c.author_id == bindparam("viewer", self.author_id, type_=Integer)
        return and_(posts.c.deleted_at.is_(None), or_(listed, mine))

    def params(self) -> dict[str, Any]:
        return {"now": self.now, "viewer": self.author_id}


# Columns a result never shows: not read (and an error to touch, not a query).
# Each hit's owner and co-authors come in the same query (the window's text query
# cannot be wrapped as a joined eager load would need).
_CoAuthor = aliased(User)
_WITH_AUTHORS = (
    contains_eager(Post.author),
    contains_eager(Post.author_links).contains_eager(PostAuthor.user.of_type(_CoAuthor)),
)
_UNSHOWN = tuple(
    defer(column, raiseload=True)
    for column in (Post.body_source, Post.body_html, Post.excerpt_source)
)


def _after(rank: Any, ident: Any, cursor: RankCursor | None) -> ColumnElement[bool]:
    """Rows after the cursor in (rank ascending, id descending) order."""
    if cursor is None:
        return and_(True)
    after_rank = bindparam("after_rank", cursor.rank, type_=Float)
    after_id = bindparam("after_id", cursor.id, type_=Integer)
    return or_(rank > after_rank, and_(rank == after_rank, ident < after_id))


def _params(cursor: RankCursor | None, size: int) -> dict[str, Any]:
    """The values of the cursor's and the page's bound parameters."""
    rows = {"rows": size + 1}
    if cursor is None:
        return rows
    return rows | {"after_rank": cursor.rank, "after_id": cursor.id}


def _rows(size: int) -> Any:
    return bindparam("rows", size + 1, type_=Integer)


def _page(
    window: Any, cursor: RankCursor | None, size: int, older: Any = None
) -> Any:  # a CTE of (id, rank), the page's rows in order
    """The page after ``cursor``: the window's ranked rows, then (``older``, given a
    bound) the matches below the window by id. Past the window only the second is read."""
    if cursor is not None and cursor.rank >= BEYOND and older is not None:
        return older(bindparam("after_id", cursor.id, type_=Integer)).cte("ranked")
    ranked = (
        select(window.c.id, window.c.rank)
        .where(_after(window.c.rank, window.c.id, cursor))
        .order_by(window.c.rank, window.c.id.desc())
        .limit(_rows(size))
    )
    if older is None:
        return ranked.cte("ranked")
    lowest = select(func.min(window.c.id)).scalar_subquery()
    both = union_all(ranked.subquery().select(), older(lowest).subquery().select()).subquery()
    return (
        select(both.c.id, both.c.rank)
        .order_by(both.c.rank, both.c.id.desc())
        .limit(_rows(size))
        .cte("ranked")
    )


def _fts_phrase(term: Term) -> str:
    # Words hold only letters and digits, so quoting them is all FTS5 needs.
    quoted = '"' + " ".join(term.words) + '"'
    return quoted + "*" if term.prefix else quoted


def fts_query(query: Query) -> str:
    """The FTS5 query of a parsed query: every required term, none of the excluded."""
    found = " AND ".join(_fts_phrase(t) for t in query.required)
    if query.excluded:
        found = f"({found}) NOT ({' OR '.join(_fts_phrase(t) for t in query.excluded)})"
    return found


# The window reads each matching post's state from an index holding (id, status,
# published_at, author_id, deleted_at), VISIBILITY_INDEX: from the table, SQLite would walk every
# row's body to reach them. Its planner prefers the table's rowid, so the index is
# named, in SQL text; the rule is Visibility's. LIMIT -1 is no limit.
_SQLITE_WINDOW = (
    "SELECT search_index.rowid AS id, bm25(search_index, 10.0, 5.0, 2.0, 1.0) AS rank "
    "FROM search_index JOIN posts "
    "INDEXED BY ix_posts_id_status_published_at_author_id_deleted_at "
    "ON posts.id = search_index.rowid "
    "WHERE search_index MATCH :fts AND posts.deleted_at IS NULL "
    "AND ((posts.status = :published AND posts.published_at <= :now) "
    "OR posts.author_id = :viewer) "
    "ORDER BY search_index.rowid DESC LIMIT :window"
)


def sqlite(
    query: Query, visible: Visibility, cursor: RankCursor | None, size: int, window: int
) -> tuple[Select[Any], dict[str, Any]]:
    """Rows of (post, rank, title text, body text): search.highlight marks them, as
    FTS5's highlight() would re-run the query for each row. The statement, made once
    for each of its shapes, and the values of its parameters."""
    past = cursor is not None and cursor.rank >= BEYOND and window > 0
    shape = "none" if cursor is None else "past" if past else "ranked"
    stmt = _sqlite_statement(visible.author_id is None, window > 0, shape)
    fts = fts_query(query)
    params = visible.params() | _params(cursor, size)
    return stmt, params | {"fts": fts, "fts_older": fts, "window": window or -1}


@functools.cache
def _sqlite_statement(visitor: bool, windowed: bool, shape: str) -> Select[Any]:
    """The statement of one shape: for a visitor or a viewer with posts of her own, with
    or without a window, on a first page, a ranked page or a page past the window. Its
    values are all bound parameters, so it is built and its SQL compiled once."""
    visible = Visibility(datetime.min, None if visitor else 0)
    cursor = {"none": None, "ranked": RankCursor(0.0, 0), "past": RankCursor(BEYOND, 0)}[shape]
    matching = (
        text(_SQLITE_WINDOW)
        .bindparams(
            bindparam("fts", type_=String),
            bindparam("published", Status.PUBLISHED.value),
            bindparam("now", type_=UTCDateTime()),
            bindparam("viewer", type_=Integer),  # NULL for a visitor: no own posts
            bindparam("window", type_=Integer),
        )
        .columns(id=Integer, rank=Float)
    )
    older = _sqlite_older(visible, 1) if windowed else None
    ranked = _page(matching.cte("window"), cursor, 1, older)
    return (
        select(Post, ranked.c.rank, _fts.c.title, _fts.c.body)
        .select_from(ranked)
        .join(_fts, _fts.c.rowid == ranked.c.id)
        .join(Post, Post.id == ranked.c.id)
        .join(User, User.id == Post.author_id)
        .outerjoin(PostAuthor, PostAuthor.post_id == Post.id)
        .outerjoin(_CoAuthor, _CoAuthor.id == PostAuthor.user_id)
        .options(*_WITH_AUTHORS, *_UNSHOWN)
        .order_by(ranked.c.rank, ranked.c.id.desc(), PostAuthor.position)
    )


def _sqlite_older(visible: Visibility, size: int) -> Any:
    """The matches below an id, newest first, at rank BEYOND: FTS5 reads its rows by
    rowid, downward, and stops at the page's end."""
    posts = Post.__table__
    match = literal_column(TABLE).op("MATCH")(bindparam("fts_older", type_=String))

    def below(bound: Any) -> Any:
        return (
            select(_fts.c.rowid.label("id"), literal(BEYOND, Float).label("rank"))
            .select_from(_fts.join(posts, posts.c.id == _fts.c.rowid))
            .where(match, visible.over(posts), _fts.c.rowid < bound)
            .order_by(_fts.c.rowid.desc())
            .limit(_rows(size))
        )

    return below


# A term's kind decides the function that reads it; its text is a bound parameter.
PHRASE, PREFIX, WORD = "phrase", "prefix", "word"


def _kind(term: Term) -> str:
    return PHRASE if len(term.words) > 1 else PREFIX if term.prefix else WORD


def _term_text(term: Term) -> str:
    """What the term's function reads: a prefix as to_tsquery's quoted word and ``:*``
    (a word of letters and digits: to_tsquery reads nothing else)."""
    if term.prefix and len(term.words) == 1:
        return f"'{term.words[0]}':*"
    return " ".join(term.words)


_READER = {PHRASE: func.phraseto_tsquery, PREFIX: func.to_tsquery, WORD: func.plainto_tsquery}


def tsquery(required: tuple[str, ...], excluded: tuple[str, ...]) -> Any:
    """The tsquery of terms of these kinds, in the configuration of the bound parameter
    "language"; the text of each is the bound parameter "required_<n>" or "excluded_<n>"
    (``term_params``)."""
    config = cast(bindparam("language", type_=String), REGCONFIG)
    found = None
    for n, kind in enumerate(required):
        part = _READER[kind](config, bindparam(f"required_{n}", type_=String))
        found = part if found is None else func.tsquery_and(found, part)
    for n, kind in enumerate(excluded):
        part = _READER[kind](config, bindparam(f"excluded_{n}", type_=String))
        found = func.tsquery_and(found, func.tsquery_not(part))
    assert found is not None  # a query without a required term is empty: never searched
    # Its own SELECT, so that PostgreSQL makes the tsquery once per statement: the cast
    # of a bound parameter to regconfig is not a constant to the planner, and as a
    # condition the functions ran again for every post tested, parsing the words each
    # time (half the time of a walk through 2,000 posts).
    return select(found).scalar_subquery(), config


def term_params(query: Query, language: str) -> dict[str, Any]:
    """The values of ``tsquery``'s bound parameters for ``query``."""
    params: dict[str, Any] = {"language": f"inkstand_{language}"}
    params |= {f"required_{n}": _term_text(t) for n, t in enumerate(query.required)}
    params |= {f"excluded_{n}": _term_text(t) for n, t in enumerate(query.excluded)}
    return params


def _pg_older(found: Any, visible: Visibility, size: int) -> Any:
    """The matches below an id, newest first, at rank BEYOND."""
    posts = Post.__table__

    def below(bound: Any) -> Any:
        return (
            select(_pg.c.post_id.label("id"), literal(BEYOND, Float).label("rank"))
            .select_from(_pg.join(posts, posts.c.id == _pg.c.post_id))
            .where(_pg.c.document.op("@@")(found), visible.over(posts), _pg.c.post_id < bound)
            .order_by(_pg.c.post_id.desc())
            .limit(_rows(size))
        )

    return below


#: How many of the newest posts, per place in the window, PostgreSQL's window reads one
#: by one before it asks the GIN index for the older matches.
WALKED = 20


def _pg_window(found: Any, visible: Visibility, window: int) -> Any:
    """The newest ``window`` matches the viewer may see, read by id: the newest
    ``window * WALKED`` posts one by one, newest first, stopping at the window's last
    match; only when they hold fewer, the older matches from the GIN index (a query
    that few posts match: few to read).

    Its shape is its plan, whatever the planner guesses of how many posts match (a
    prepared statement's generic plan guesses blind, and chose reading and sorting
    every match): a subquery with a LIMIT is read before any condition over it, here
    newest first by the primary key, so it stops early; the GIN half is a lateral
    subquery behind a test of the first half's count, so it does not run when the
    newest posts filled the window. Either half is ordered by id, so the window is
    exactly the newest matches."""
    posts = Post.__table__
    walked = window * WALKED
    # Ids from the newest post's down: the walk's, and below them the GIN half's.
    edge = select(func.max(_pg.c.post_id)).scalar_subquery() - walked
    newest = (
        select(_pg.c.post_id, _pg.c.document)
        .where(_pg.c.post_id > edge)
        .order_by(_pg.c.post_id.desc())
        .limit(literal_column(str(walked)))
        .subquery("newest")
    )
    first = (
        select(newest.c.post_id.label("id"))
        .select_from(newest.join(posts, posts.c.id == newest.c.post_id))
        .where(newest.c.document.op("@@")(found), visible.over(posts))
        .order_by(newest.c.post_id.desc())
        .limit(literal_column(str(window)))
        .cte("walked")
    )
    counted = select(func.count().label("n")).select_from(first).subquery("counted")
    rest = (
        select(_pg.c.post_id.label("id"))
        .select_from(_pg.join(posts, posts.c.id == _pg.c.post_id))
        .where(
            counted.c.n < window,
            _pg.c.post_id <= edge,
            _pg.c.document.op("@@")(found),
            visible.over(posts),
        )
        .order_by(_pg.c.post_id.desc())
        .limit(literal_column(str(window)))
        .lateral("rest")
    )
    older = select(rest.c.id).select_from(counted.join(rest, true()))
    both = union_all(select(first.c.id), older).subquery("both")
    return (
        select(both.c.id)
        .order_by(both.c.id.desc())
        .limit(literal_column(str(window)))
        .subquery("window")
    )


def postgresql(
    query: Query, visible: Visibility, cursor: RankCursor | None, size: int,
    window: int, language: str,
) -> tuple[Select[Any], dict[str, Any]]:  # fmt: skip
    """Rows of (post, rank, title marked, snippet marked): the statement, made once for
    each of its shapes, and the values of its parameters."""
    past = cursor is not None and cursor.rank >= BEYOND and window > 0
    shape = "none" if cursor is None else "past" if past else "ranked"
    kinds = (tuple(map(_kind, query.required)), tuple(map(_kind, query.excluded)))
    stmt = _pg_statement(visible.author_id is None, window, shape, *kinds)
    params = visible.params() | _params(cursor, size) | term_params(query, language)
    return stmt, params


@functools.lru_cache(maxsize=256)  # queries of up to TERMS_MAX terms: more shapes than kept
def _pg_statement(
    visitor: bool, window: int, shape: str, required: tuple[str, ...], excluded: tuple[str, ...]
) -> Select[Any]:
    """The statement of one shape: for a visitor or a viewer with posts of her own, in a
    window of this size (0: none), on a first page, a ranked page or a page past the
    window, for terms of these kinds. Its values are all bound parameters, so it is
    built and its SQL compiled once."""
    visible = Visibility(datetime.min, None if visitor else 0)
    cursor = {"none": None, "ranked": RankCursor(0.0, 0), "past": RankCursor(BEYOND, 0)}[shape]
    found, config = tsquery(required, excluded)
    older = None
    if window:
        inner = _pg_window(found, visible, window)
        older = _pg_older(found, visible, 1)
    else:
        inner = (
            select(_pg.c.post_id.label("id"))
            .select_from(_pg.join(Post.__table__, Post.id == _pg.c.post_id))
            .where(_pg.c.document.op("@@")(found), visible.over(Post.__table__))
            .subquery("window")
        )
    scored = (
        # ts_rank_cd is a real: as a double, the rank a cursor carries back is exact
        # (a real's text, read as a double, is not the real), so ties page correctly.
        select(inner.c.id, (-cast(func.ts_rank_cd(_pg.c.document, found), Double)).label("rank"))
        .join(_pg, _pg.c.post_id == inner.c.id)
        .cte("scored")
    )
    ranked = _page(scored, cursor, 1, older)
    title = func.ts_headline(config, _pg.c.title, found, PG_TITLE)
    snippet = func.ts_headline(config, _pg.c.body, found, PG_SNIPPET)
    return (
        select(Post, ranked.c.rank, title, snippet)
        .select_from(ranked)
        .join(_pg, _pg.c.post_id == ranked.c.id)
        .join(Post, Post.id == ranked.c.id)
        .join(User, User.id == Post.author_id)
        .outerjoin(PostAuthor, PostAuthor.post_id == Post.id)
        .outerjoin(_CoAuthor, _CoAuthor.id == PostAuthor.user_id)
        .options(*_WITH_AUTHORS, *_UNSHOWN)
        .order_by(ranked.c.rank, ranked.c.id.desc(), PostAuthor.position)
    )
