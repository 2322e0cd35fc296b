"""Searching posts, and rebuilding the index: one service over either engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import DbSession
from inkstand.pagination import Page, RankCursor
from inkstand.search import engines, highlight, index
from inkstand.search.documents import CLOSE, OPEN
from inkstand.search.query import Query, parse

# A piece of highlighted text: (text, whether it is a matched word).
Segments = highlight.Segments


@dataclass(frozen=True)
class Hit:
    """One result: the post, its title and a snippet with the matched words marked."""

    post: Post
    title: Segments
    snippet: Segments
    state: str  # published, or draft, scheduled, archived: the viewer's own


@dataclass(frozen=True)
class Results:
    query: Query
    page: Page[Hit]


def segments(marked: str | None) -> Segments:
    """Split engine output around its match marks into plain pieces."""
    pieces: list[tuple[str, bool]] = []
    for n, chunk in enumerate((marked or "").split(OPEN)):
        inside, _, rest = chunk.partition(CLOSE) if n else ("", "", chunk)
        if inside:
            pieces.append((inside, True))
        if rest:
            pieces.append((rest, False))
    return tuple(pieces)


def to_html(pieces: Segments) -> Markup:
    """Segments as HTML: all text escaped, matched words in <mark>."""
    return Markup("").join(
        Markup("<mark>%s</mark>") % text if matched else escape(text) for text, matched in pieces
    )


def to_text(pieces: Segments) -> str:
    return "".join(text for text, _ in pieces)


def search(
    session: DbSession, viewer: User | None, text: str, now: datetime, size: int, *,
    cursor: str | None = None, language: str = index.DEFAULT_LANGUAGE, window: int = 0,
) -> Results:  # fmt: skip
    """The posts matching ``text`` that ``viewer`` may find, best first, one page of
    ``size`` after ``cursor``: one query, none for a query with no words. Raises
    BadCursor."""
    after = RankCursor.decode(cursor)
    query = parse(text)
    if query.empty:
        return Results(query, Page([], newer=None, older=None))
    visible = engines.Visibility(now, viewer.id if viewer is not None else None)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:  # its rows come marked by ts_headline
        stmt, params = engines.postgresql(query, visible, after, size, window, language)
    else:
        stmt, params = engines.sqlite(query, visible, after, size, window)
    rows = session.execute(stmt, params).unique().all()
    hits = [_hit(query, post, title, body, postgresql, now) for post, _, title, body in rows[:size]]
    more = len(rows) > size and hits
    older = RankCursor(rows[size - 1][1], rows[size - 1][0].id).encode() if more else None
    return Results(query, Page(hits, newer=None, older=older))


def _hit(query: Query, post: Post, title: str, body: str, marked: bool, now: datetime) -> Hit:
    if marked:
        return Hit(post, segments(title), segments(body), post.display_status(now))
    return Hit(
        post, highlight.whole(title, query), highlight.snippet(body, query),
        post.display_status(now),
    )  # fmt: skip


def rebuild(session: DbSession, progress: Callable[[int], None] | None = None) -> int:
    """Index every post again, in one transaction. Returns how many were indexed."""
    done = index.rebuild(session.connection(), progress=progress)
    session.commit()
    return done


def post_count(session: DbSession) -> int:
    return index.post_count(session.connection())
