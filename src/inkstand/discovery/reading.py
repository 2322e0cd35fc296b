"""What feeds, the sitemap, the archive and related posts show: each a fixed few queries.

Only listed posts (published, their time come) appear here; drafts, scheduled and
archived posts never do. Months are months of UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    extract,
    false,
    func,
    literal_column,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import joinedload

from inkstand.accounts.models import User
from inkstand.blog import reading as posts
from inkstand.blog.models import Post, Tag, post_tags
from inkstand.db import DbSession, UTCDateTime
from inkstand.exceptions import NotFound
from inkstand.pagination import BadCursor, Page

# ---------------------------------------------------------------- feeds


def site_feed(session: DbSession, now: datetime, limit: int) -> list[Post]:
    """The newest listed posts with their authors: one query."""
    return list(posts.listed_page(session, now, limit, true()).items)


def tag_feed(session: DbSession, name: str, now: datetime, limit: int) -> tuple[Tag, list[Post]]:
    """A tag and its newest listed posts: two queries. Raises NotFound."""
    tag, page = posts.by_tag(session, name, now, limit)
    return tag, list(page.items)


def author_feed(
    session: DbSession, username: str, now: datetime, limit: int
) -> tuple[User, list[Post]]:
    """An account and its newest listed posts: two queries. Raises NotFound."""
    author = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if author is None:
        raise NotFound("No such author.")
    return author, list(posts.by_author(session, author, now, limit).items)


def changed_at(post: Post) -> datetime:
    """When a reader last saw the post change: its last edit, or its publication if later."""
    assert post.published_at is not None
    return max(post.updated_at, post.published_at)


# ---------------------------------------------------------------- related posts


# Related posts are looked for among the newest posts carrying each of a post's tags,
# this many per tag, so that a post page costs the same at a hundred posts or a million.
RELATED_WINDOW = 200
# Of those, the posts sharing the most tags (then the newest by id) are read and checked.
RELATED_CANDIDATES = 50


def related(session: DbSession, post: Post, now: datetime, limit: int) -> list[Post]:
    """Up to ``limit`` listed posts sharing a tag with ``post``: those sharing the most
    tags first, then the newest. The candidates are the RELATED_WINDOW newest posts (by
    id: the order they were written in) carrying each of its tags, read from the index
    of (tag, post) without touching the others; of those, the RELATED_CANDIDATES sharing
    the most are read and checked. One query, even for a post without
    tags, so that the post page's count is the same for every post; none when
    ``limit`` is 0."""
    if limit < 1:
        return []
    windows = [
        select(post_tags.c.post_id)
        .where(
            post_tags.c.tag_id == select(Tag.id).where(Tag.name == name).scalar_subquery(),
            post_tags.c.post_id != post.id,
        )
        .order_by(post_tags.c.post_id.desc())
        .limit(RELATED_WINDOW)
        .subquery()
        for name in post.tag_list
    ]
    if windows:
        found = union_all(*(select(w.c.post_id) for w in windows)).subquery()
    else:  # no tag: a query that finds nothing, for a steady count
        found = select(post_tags.c.post_id).where(false()).subquery()
    # The best-placed candidates by the index alone, before any post's row is read: on
    # SQLite a post's state lies past its body, so each row read costs a walk through it.
    shared = (
        select(found.c.post_id, func.count().label("shared"))
        .group_by(found.c.post_id)
        .order_by(func.count().desc(), found.c.post_id.desc())
        .limit(RELATED_CANDIDATES)
        .subquery()
    )
    stmt = (
        select(Post)
        .join(shared, shared.c.post_id == Post.id)
        # Named as ids too, so that SQLite looks the few candidates up by id rather than
        # walking every listed post by the (status, published_at) index.
        .where(Post.id.in_(select(shared.c.post_id)), Post.is_listed(now))
        .options(joinedload(Post.author))
        .order_by(shared.c.shared.desc(), Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- archive


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class Month:
    """A month of the archive and how many posts were published in it."""

    year: int
    month: int
    posts: int = 0

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime | None:
        """The start of the next month; None after December 9999."""
        if self.month < 12:
            return datetime(self.year, self.month + 1, 1, tzinfo=UTC)
        return datetime(self.year + 1, 1, 1, tzinfo=UTC) if self.year < 9999 else None

    @property
    def month_name(self) -> str:
        return MONTH_NAMES[self.month - 1]

    @property
    def name(self) -> str:
        return f"{self.month_name} {self.year}"

    def encode(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def checked(cls, year: int, month: int) -> Month:
        """The month, or NotFound when there is no such month."""
        if not (1 <= year <= 9999 and 1 <= month <= 12):
            raise NotFound("No such month.")
        return cls(year, month)

    @classmethod
    def decode(cls, raw: str | None) -> Month | None:
        """A page cursor of the archive index. Raises BadCursor."""
        if not raw:
            return None
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", raw)  # ASCII digits only
        if not match:
            raise BadCursor()
        try:
            return cls.checked(int(match[1]), int(match[2]))
        except NotFound as exc:
            raise BadCursor() from exc


def months(
    session: DbSession,
    now: datetime,
    size: int,
    before: str | None = None,
    after: str | None = None,
) -> Page[Month]:
    """Months with listed posts and their counts, newest first, by keyset: one query.

    The cursor is a month; a page seeks by publication time on the posts' index, so
    every page costs the same. Raises BadCursor."""
    older_than, newer_than = Month.decode(before), Month.decode(after)
    at = _utc(session, Post.published_at)
    year = cast(extract("year", at), Integer).label("year")
    month = cast(extract("month", at), Integer).label("month")
    stmt = select(year, month, func.count(Post.id)).where(Post.is_listed(now)).group_by(year, month)
    forward = newer_than is not None
    if newer_than is not None:
        if newer_than.end is None:
            return Page([], newer=None, older=None)
        stmt = stmt.where(Post.published_at >= newer_than.end)
        stmt = stmt.order_by(year.asc(), month.asc())
    else:
        if older_than is not None:
            stmt = stmt.where(Post.published_at < older_than.start)
        stmt = stmt.order_by(year.desc(), month.desc())
    rows = [Month(y, m, n) for y, m, n in session.execute(stmt.limit(size + 1))]
    more, items = len(rows) > size, rows[:size]
    if forward:
        items.reverse()
        return Page(
            items,
            newer=items[0].encode() if more and items else None,
            older=items[-1].encode() if items else None,
        )
    return Page(
        items,
        newer=items[0].encode() if older_than is not None and items else None,
        older=items[-1].encode() if more and items else None,
    )


def month_posts(
    session: DbSession, year: int, month: int, now: datetime, size: int,
    before: str | None = None, after: str | None = None,
) -> tuple[Month, Page[Post]]:  # fmt: skip
    """The listed posts published in a month, newest first: one query.

    Raises NotFound for a month that does not exist, or BadCursor."""
    found = Month.checked(year, month)
    within = Post.published_at >= found.start
    if found.end is not None:
        within = and_(within, Post.published_at < found.end)
    return found, posts.listed_page(session, now, size, within, before, after)


# ---------------------------------------------------------------- sitemap

KINDS = ("posts", "tags", "authors")


@dataclass(frozen=True)
class Location:
    """One URL of the sitemap: what it shows (a post's slug, a tag's or an author's
    name) and when that last changed."""

    key: str
    lastmod: datetime | None


def sitemap_counts(session: DbSession, now: datetime) -> dict[str, int]:
    """How many posts, tags and authors the sitemap lists: one query."""
    counts = [
        select(func.count()).select_from(_ids(kind, now).subquery()).scalar_subquery()
        for kind in KINDS
    ]
    row = session.execute(select(*counts)).one()
    return dict(zip(KINDS, (int(n) for n in row), strict=True))


def sitemap_chunks(session: DbSession, kind: str, now: datetime, size: int) -> list[int | None]:
    """Where each sitemap file of ``kind`` starts, ``size`` URLs each: None for the
    first, then the id each later one comes after. One query. Raises NotFound."""
    ids = _ids(kind, now).subquery()
    numbered = select(
        ids.c.id,
        func.row_number().over(order_by=ids.c.id).label("n"),
        func.count().over().label("total"),
    ).subquery()
    rows = session.execute(
        select(numbered.c.id, numbered.c.n, numbered.c.total)
        .where((numbered.c.n % size == 0) | (numbered.c.n == numbered.c.total))
        .order_by(numbered.c.n)
    ).all()
    if not rows:
        return []
    return [None, *(row.id for row in rows if row.n % size == 0 and row.n < row.total)]


def sitemap_locations(
    session: DbSession, kind: str, now: datetime, size: int, after: int | None = None
) -> list[Location]:
    """Up to ``size`` locations of ``kind`` after the id ``after``, by id: one query.
    Raises NotFound for an unknown kind."""
    listed = Post.is_listed(now)
    lastmod = type_coerce(func.max(_changed()), UTCDateTime)
    stmt: Select[int, str, datetime]
    if kind == "posts":
        stmt = select(Post.id, Post.slug, type_coerce(_changed(), UTCDateTime)).where(listed)
        key = Post.id
    elif kind == "tags":
        stmt = (
            select(Tag.id, Tag.name, lastmod)
            .join(post_tags, post_tags.c.tag_id == Tag.id)
            .join(Post, Post.id == post_tags.c.post_id)
            .where(listed)
            .group_by(Tag.id, Tag.name)
        )
        key = Tag.id
    elif kind == "authors":
        stmt = (
            select(User.id, User.username, lastmod)
            .join(Post, Post.author_id == User.id)
            .where(listed)
            .group_by(User.id, User.username)
        )
        key = User.id
    else:
        raise NotFound("No such sitemap.")
    if after is not None:
        stmt = stmt.where(key > after)
    rows = session.execute(stmt.order_by(key).limit(size))
    return [Location(name, changed) for _, name, changed in rows]


def _ids(kind: str, now: datetime) -> Select[Any]:
    """The ids of the rows of ``kind`` the sitemap lists."""
    if kind == "posts":
        return select(Post.id.label("id")).where(Post.is_listed(now))
    published = select(Post.id).where(Post.is_listed(now))
    if kind == "tags":
        tagged = select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(published))
        return select(Tag.id.label("id")).where(Tag.id.in_(tagged))
    if kind == "authors":
        writers = select(Post.author_id).where(Post.is_listed(now))
        return select(User.id.label("id")).where(User.id.in_(writers))
    raise NotFound("No such sitemap.")


# ---------------------------------------------------------------- shared


def _changed() -> ColumnElement[Any]:
    """A post's last change a reader sees, in SQL: as ``changed_at``."""
    return case((Post.updated_at > Post.published_at, Post.updated_at), else_=Post.published_at)


def _utc(session: DbSession, column: Any) -> Any:
    """``column`` as a UTC wall-clock time: PostgreSQL reads a timestamptz in the
    session's zone; SQLite keeps UTC already. The zone is a literal so that the
    grouped expression and the selected one are the same text."""
    if session.get_bind().dialect.name == "postgresql":
        return func.timezone(literal_column("'UTC'"), column)
    return column
