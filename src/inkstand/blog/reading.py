"""Reading posts: the public lists and the post page, each a fixed few queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from inkstand.accounts.models import Follow, User
from inkstand.blog import permissions
from inkstand.blog.models import (
    Favourite,
    Post,
    SlugRedirect,
    Status,
    Tag,
    post_authors,
    post_tags,
)
from inkstand.db import DbSession, UTCDateTime
from inkstand.exceptions import Forbidden, Invalid, Moved, NotFound
from inkstand.pagination import Cursor, Page, TextCursor, keyset_page, ordered_page


def _cursor(post: Post) -> Cursor:
    assert post.published_at is not None
    return Cursor(post.published_at, post.id)


def _with_authors(stmt: Select[Post]) -> Select[Post]:
    """``stmt`` loading each post's owner and co-authors in the same query."""
    return stmt.options(joinedload(Post.author), joinedload(Post.author_links))


# Listed posts with their authors, the statement every list starts from: built once,
# the request's clock bound as it runs (``_at``). Built on every request, its condition,
# loader options and cache key took a tenth or more of a list query's CPU.
# (The query side of ``is_listed`` takes a parameter where it takes a time.)
_LISTED_AT = cast("datetime", bindparam("listed_at", type_=UTCDateTime))
_LISTED = _with_authors(select(Post).where(Post.is_listed(_LISTED_AT)))


def _at(now: datetime) -> dict[str, Any]:
    """The parameters of a statement made from ``_LISTED``: posts listed at ``now``."""
    return {"listed_at": now}


def _page(
    session: DbSession, now: datetime, stmt: Select[Any], size: int,
    before: str | None, after: str | None,
    at: Any = Post.published_at, ident: Any = Post.id,
) -> Page[Post]:  # fmt: skip
    """A page of ``stmt``, made from ``_LISTED`` or ``_matching``, of posts listed at
    ``now``, ordered by the columns ``at`` and ``ident`` (the posts' time and id)."""
    return keyset_page(
        session, stmt, at, ident, _cursor, size,
        before=Cursor.decode(before), after=Cursor.decode(after), params=_at(now),
    )  # fmt: skip


def home(
    session: DbSession,
    now: datetime,
    size: int,
    before: str | None = None,
    after: str | None = None,
    shown: Sequence[Post] = (),
) -> Page[Post]:
    """Published posts, newest first, but for those ``shown`` above them (the featured
    block). Raises BadCursor."""
    stmt = _LISTED
    if shown:
        stmt = stmt.where(Post.id.not_in([p.id for p in shown]))
    return _page(session, now, stmt, size, before, after)


def featured(session: DbSession, now: datetime, limit: int) -> list[Post]:
    """The newest featured published posts, with their authors: one query."""
    stmt = _LISTED.where(Post.featured.is_(True))
    stmt = stmt.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit)
    return list(session.scalars(stmt, _at(now)).unique())


def next_publication(session: DbSession, now: datetime) -> datetime | None:
    """When the next scheduled post appears, if any is waiting."""
    stmt = select(func.min(Post.published_at)).where(
        Post.status == Status.PUBLISHED.value, Post.published_at > now, Post.deleted_at.is_(None)
    )
    return session.scalar(stmt)


def by_tag(
    session: DbSession, name: str, now: datetime, size: int,
    before: str | None = None, after: str | None = None,
) -> tuple[Tag, Page[Post]]:  # fmt: skip
    """A tag and its published posts: two queries. Raises NotFound or BadCursor."""
    tag, links = _listed_tag(session, name, now)
    narrowed = Narrowed(
        Filters(tag=tag.name), tag_id=tag.id, fewest="tag" if links <= RARE else None
    )
    stmt, at, ident = _matching(narrowed)
    return tag, _page(session, now, stmt, size, before, after, at, ident)


def listed_tag(session: DbSession, name: str, now: datetime) -> Tag:
    """The tag ``name``, if a listed post carries it: one query. Raises NotFound, as for
    an unknown tag, for one that only drafts, scheduled or archived posts carry (its
    name would tell of them)."""
    return _listed_tag(session, name, now)[0]


def _listed_tag(session: DbSession, name: str, now: datetime) -> tuple[Tag, int]:
    """``listed_tag``, and how many posts carry it, counted up to RARE + 1."""
    carried = (
        select(post_tags.c.post_id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(post_tags.c.tag_id == Tag.id, Post.is_listed(now))
    )
    # By name again, not correlated: a correlation reaches only the enclosing SELECT.
    tag_id = select(Tag.id).where(Tag.name == name.lower()).scalar_subquery()
    links = select(post_tags.c.post_id).where(post_tags.c.tag_id == tag_id)
    stmt = select(Tag, _capped_count(links)).where(Tag.name == name.lower(), carried.exists())
    found = session.execute(stmt).first()
    if found is None:
        raise NotFound("No such tag.")
    return found[0], found[1]


def by_author(
    session: DbSession, author: User, now: datetime, size: int,
    before: str | None = None, after: str | None = None,
) -> Page[Post]:  # fmt: skip
    """The published posts an author wrote or co-wrote, newest first, with their authors:
    two queries. One counts her posts up to RARE + 1; an author of fewer has them read
    from the indexes and sorted (``_matching``). Otherwise her own and her co-written
    posts are each read by their index, then merged. Raises BadCursor."""
    owned = select(Post.id).where(Post.author_id == author.id)
    co_written = select(post_authors.c.post_id).where(post_authors.c.user_id == author.id)
    written = session.scalar(select(_capped_count(owned) + _capped_count(co_written)))
    if written is not None and written <= RARE:
        narrowed = Narrowed(Filters(author=author.username), author_id=author.id, fewest="author")
        stmt, at, ident = _matching(narrowed)
        return _page(session, now, stmt, size, before, after, at, ident)
    return ordered_page(
        session, select(Post).where(Post.is_listed(now)), Post.published_at, Post.id, _cursor,
        size, descending=True, onward=Cursor.decode(before), back=Cursor.decode(after),
        any_of=[Post.author_id == author.id, Post.id.in_(co_written)],
        options=[joinedload(Post.author), joinedload(Post.author_links)],
    )  # fmt: skip


def feed(
    session: DbSession, reader: User | None, now: datetime, size: int,
    before: str | None = None, after: str | None = None,
) -> Page[Post]:  # fmt: skip
    """Published posts by the authors ``reader`` follows, newest first.

    Raises Forbidden for a visitor who is not logged in, or BadCursor."""
    if reader is None:
        raise Forbidden("Log in to read your feed.")
    return _page(session, now, _filtered(Filters(followed_by=reader)), size, before, after)


def written_by(user_id: int | Select[Any]) -> ColumnElement[bool]:
    """Posts the account ``user_id`` (an id, or a query of one) owns or co-writes."""
    if isinstance(user_id, int):
        co_written = select(post_authors.c.post_id).where(post_authors.c.user_id == user_id)
        return or_(Post.author_id == user_id, Post.id.in_(co_written))
    co_written = select(post_authors.c.post_id).where(post_authors.c.user_id.in_(user_id))
    return or_(Post.author_id.in_(user_id), Post.id.in_(co_written))


def authors(session: DbSession, now: datetime, limit: int) -> list[User]:
    """Authors with a published post, by name: people a reader might follow."""
    published = select(Post.author_id).where(Post.is_listed(now))
    stmt = select(User).where(User.id.in_(published)).order_by(func.lower(User.username))
    return list(session.scalars(stmt.limit(limit)))


def show(session: DbSession, viewer: User | None, slug: str, now: datetime) -> Post:
    """The post at ``slug`` if ``viewer`` may read it.

    Raises Moved when the slug is an old one, NotFound when there is no such
    post or the viewer may not see it (a draft's existence is not revealed).
    """
    return show_with_favourite(session, viewer, slug, now)[0]


def show_with_favourite(
    session: DbSession, viewer: User | None, slug: str, now: datetime
) -> tuple[Post, bool]:
    """``show``, and whether ``viewer`` favourited the post, in the same query."""
    marked = (
        exists().where(Favourite.post_id == Post.id, Favourite.user_id == viewer.id)
        if viewer is not None
        else false()
    )
    stmt = select(Post, marked).where(Post.slug == slug)
    stmt = stmt.options(joinedload(Post.author), joinedload(Post.author_links))
    row = session.execute(stmt).unique().first()
    if row is None:
        moved = session.scalar(
            select(Post)
            .join(SlugRedirect, SlugRedirect.post_id == Post.id)
            .where(SlugRedirect.slug == slug)
        )
        if moved is not None and permissions.can_view(viewer, moved, now):
            raise Moved(moved.slug)
        raise NotFound("No such post.")
    post: Post = row[0]
    if not permissions.can_view(viewer, post, now):
        raise NotFound("No such post.")
    return post, bool(row[1])


SORTS = {
    "updated": "Recently updated",
    "newest": "Newest",
    "oldest": "Oldest",
    "title": "Title",
}
_TIME_SORTS = {
    "updated": (Post.updated_at, True),
    "newest": (Post.created_at, True),
    "oldest": (Post.created_at, False),
}


@dataclass(frozen=True)
class ManageQuery:
    """What the writers' list of posts is narrowed to and sorted by; None: no filter."""

    state: str | None = None  # one of STATES
    tag: str | None = None
    author: str | None = None  # a username: her posts and those she co-writes
    title: str | None = None  # words the title contains, in any case
    sort: str = "updated"  # one of SORTS


def manageable(
    session: DbSession, actor: User, now: datetime, size: int,
    query: ManageQuery = ManageQuery(), before: str | None = None, after: str | None = None,
) -> Page[Post]:  # fmt: skip
    """The posts ``actor`` may change (editors and admins: every post), in any state but the trash,
    narrowed and sorted by ``query``, with their authors: one query whatever the data,
    keyset-paginated in every sort (``before`` the next page, ``after`` the previous).
    Raises Invalid for an unknown state or sort, BadCursor."""
    if query.sort not in SORTS:
        raise Invalid.field("sort", f"Choose one of {', '.join(SORTS)}.")
    if query.state is not None and query.state not in STATES:
        raise Invalid.field("state", f"Choose one of {', '.join(STATES)}.")
    stmt = select(Post).where(Post.deleted_at.is_(None))  # the trash has its own page
    # An author's posts: those she owns and those she co-writes, each read by its index.
    mine: list[ColumnElement[bool]] = []
    if not permissions.can_see_all_posts(actor):
        co_written = select(post_authors.c.post_id).where(post_authors.c.user_id == actor.id)
        mine = [Post.author_id == actor.id, Post.id.in_(co_written)]
    if query.state is not None:
        stmt = stmt.where(_in_state(query.state, now))
    stmt = _narrowed(stmt, Filters(tag=query.tag, author=query.author))
    if query.title:
        stmt = stmt.where(Post.title.icontains(query.title.strip(), autoescape=True))
    loads = [joinedload(Post.author), joinedload(Post.author_links)]
    if query.sort == "title":
        return ordered_page(
            session, stmt, Post.title, Post.id, lambda p: TextCursor(p.title, p.id), size,
            descending=False, onward=TextCursor.decode(before), back=TextCursor.decode(after),
            any_of=mine, options=loads,
        )  # fmt: skip
    column, descending = _TIME_SORTS[query.sort]
    return ordered_page(
        session, stmt, column, Post.id, lambda p: Cursor(getattr(p, column.key), p.id), size,
        descending=descending, onward=Cursor.decode(before), back=Cursor.decode(after),
        any_of=mine, options=loads,
    )  # fmt: skip


LISTED = "published"
STATES = (LISTED, "scheduled", "draft", "archived")


def listing(
    session: DbSession, viewer: User | None, now: datetime, size: int, *,
    state: str = LISTED, tag: str | None = None, author: str | None = None,
    before: str | None = None,
) -> Page[Post]:  # fmt: skip
    """Posts in one state, filtered by tag and author's username, one query.

    Published posts (listed: their time has come) are public and newest published
    first. Other states are the writer's own, or every writer's for editors and
    admins, most recently edited first. Raises Forbidden (a reader or a visitor
    asking for posts that are not published), Invalid or BadCursor.
    """
    if state not in STATES:
        raise Invalid.field("state", f"Choose one of {', '.join(STATES)}.")
    if state == LISTED:
        stmt = _LISTED
    else:
        if viewer is None or not permissions.can_create(viewer):
            raise Forbidden("Only writers see posts that are not published.")
        stmt = _with_authors(select(Post).where(Post.deleted_at.is_(None)))
        if not permissions.can_see_all_posts(viewer):
            stmt = stmt.where(written_by(viewer.id))
        stmt = stmt.where(_in_state(state, now))
    if state == LISTED:
        narrowed = narrow(session, Filters(tag=tag, author=author))
        if narrowed is None:  # an unknown tag or author: nothing to read
            return Page([], newer=None, older=None)
        stmt, at, ident = _matching(narrowed)
        return _page(session, now, stmt, size, before, None, at, ident)
    stmt = _narrowed(stmt, Filters(tag=tag, author=author))
    return keyset_page(
        session, stmt, Post.updated_at, Post.id,
        lambda p: Cursor(p.updated_at, p.id), size, before=Cursor.decode(before),
    )  # fmt: skip


def _in_state(state: str, now: datetime) -> ColumnElement[bool]:
    """Posts in the state a person sees (``Post.display_status``)."""
    if state == LISTED:
        return and_(Post.is_listed(now))
    if state == "scheduled":
        return and_(Post.status == Status.PUBLISHED.value, Post.published_at > now)
    return Post.status == (Status.DRAFT.value if state == "draft" else Status.ARCHIVED.value)


def by_id(session: DbSession, viewer: User | None, post_id: int, now: datetime) -> Post:
    """The post ``post_id`` with its author, if ``viewer`` may read it. Raises NotFound."""
    found = session.execute(_with_authors(select(Post).where(Post.id == post_id)))
    post = found.unique().scalar_one_or_none()
    if post is None or not permissions.can_view(viewer, post, now):
        raise NotFound("No such post.")
    return post


def _tag_uses(now: datetime) -> Select[str, int]:
    """Each tag on a listed post, with how many listed posts carry it."""
    return (
        select(Tag.name, func.count(Post.id))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(Post.is_listed(now))
        .group_by(Tag.id, Tag.name)
    )


def public_tags(session: DbSession, now: datetime) -> list[tuple[str, int]]:
    """Each tag on a listed post, with how many listed posts carry it, by name: one query."""
    rows = session.execute(_tag_uses(now).order_by(Tag.name))
    return [(name, number) for name, number in rows]


@dataclass(frozen=True)
class Filters:
    """What a list of published posts is narrowed to; None: no such filter."""

    tag: str | None = None
    author: str | None = None  # a username
    favourited_by: str | None = None  # a username
    followed_by: User | None = None  # posts by the authors she follows: her feed


Columns = TypeVarTuple("Columns")


def _by_username(name: str) -> Select[Any]:
    return select(User.id).where(func.lower(User.username) == name.lower())


def _filtered(filters: Filters) -> Select[Any]:
    """Listed posts narrowed by ``filters``: made from ``_LISTED`` (run it with ``_at``)."""
    return _narrowed(_LISTED, filters)


def _narrowed(stmt: Select[*Columns], filters: Filters) -> Select[*Columns]:
    if filters.tag is not None:
        tagged = (
            select(post_tags.c.post_id)
            .join(Tag, Tag.id == post_tags.c.tag_id)
            .where(Tag.name == filters.tag.lower())
        )
        stmt = stmt.where(Post.id.in_(tagged))
    if filters.author is not None:
        stmt = stmt.where(written_by(_by_username(filters.author)))
    if filters.favourited_by is not None:
        marked = select(Favourite.post_id).where(
            Favourite.user_id.in_(_by_username(filters.favourited_by))
        )
        stmt = stmt.where(Post.id.in_(marked))
    if filters.followed_by is not None:
        followed = select(Follow.followed_id).where(Follow.follower_id == filters.followed_by.id)
        stmt = stmt.where(Post.author_id.in_(followed))
    return stmt


# A filter whose own index holds at most RARE rows for it (a tag's links, an author's
# posts, a reader's favourites) is read from that index: at most RARE rows, then
# sorted. A commoner one walks the listed posts newest first, where one match in
# every 1,000 posts or more fills a page within about 20,000 rows. Walking for a rare
# filter would read every post (13 s at a million posts); reading a common one's rows
# first would sort them all.
RARE = 1000
# The rare shape reads at most this many rows of the filter's index: more than were
# counted, so a row added between the count and the list is still read.
_FEW_ROWS: ColumnElement[int] = literal_column(str(2 * RARE))


@dataclass(frozen=True)
class Narrowed:
    """``filters`` with the tag and accounts they name resolved to ids (None: no such
    filter); ``fewest``: the one among them whose own index holds the fewest rows for
    it, if at most RARE (None: every one is common, or there is none)."""

    filters: Filters
    tag_id: int | None = None
    author_id: int | None = None
    favourited_by_id: int | None = None
    fewest: str | None = None  # "tag", "author" or "favourited_by"


def _capped_count(rows: Select[Any]) -> ColumnElement[int]:
    """How many rows ``rows`` has, counted up to RARE + 1 (it reads no more)."""
    return select(func.count()).select_from(rows.limit(RARE + 1).subquery()).scalar_subquery()


def narrow(session: DbSession, filters: Filters) -> Narrowed | None:
    """``filters`` resolved (one query when they name a tag or an account, none when
    not); None when one of the names is unknown: nothing can match, no need to look."""
    columns: list[ColumnElement[Any]] = []
    if filters.tag is not None:
        tag_id = select(Tag.id).where(Tag.name == filters.tag.lower()).scalar_subquery()
        links = select(post_tags.c.post_id).where(post_tags.c.tag_id == tag_id)
        columns += [tag_id, _capped_count(links)]
    if filters.author is not None:
        author_id = _by_username(filters.author).scalar_subquery()
        owned = select(Post.id).where(Post.author_id == author_id)
        co_written = select(post_authors.c.post_id).where(post_authors.c.user_id == author_id)
        columns += [author_id, _capped_count(owned) + _capped_count(co_written)]
    if filters.favourited_by is not None:
        reader_id = _by_username(filters.favourited_by).scalar_subquery()
        marked = select(Favourite.post_id).where(Favourite.user_id == reader_id)
        columns += [reader_id, _capped_count(marked)]
    if not columns:
        return Narrowed(filters)
    found = iter(session.execute(select(*columns)).one())
    ids: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for name in ("tag", "author", "favourited_by"):
        if getattr(filters, name) is not None:
            ident, size = next(found), next(found)
            if ident is None:
                return None
            ids[name], sizes[name] = ident, size
    fewest = min(sizes, key=lambda name: sizes[name])
    return Narrowed(
        filters,
        tag_id=ids.get("tag"),
        author_id=ids.get("author"),
        favourited_by_id=ids.get("favourited_by"),
        fewest=fewest if sizes[fewest] <= RARE else None,
    )


def _conditions(narrowed: Narrowed) -> list[ColumnElement[bool]]:
    """What a post matching ``narrowed`` is, by ids."""
    found: list[ColumnElement[bool]] = []
    if narrowed.tag_id is not None:
        tagged = select(post_tags.c.post_id).where(post_tags.c.tag_id == narrowed.tag_id)
        found.append(Post.id.in_(tagged))
    if narrowed.author_id is not None:
        found.append(written_by(narrowed.author_id))
    if narrowed.favourited_by_id is not None:
        marked = select(Favourite.post_id).where(Favourite.user_id == narrowed.favourited_by_id)
        found.append(Post.id.in_(marked))
    followed_by = narrowed.filters.followed_by
    if followed_by is not None:
        followed = select(Follow.followed_id).where(Follow.follower_id == followed_by.id)
        found.append(Post.author_id.in_(followed))
    return found


def _few_ids(narrowed: Narrowed) -> Select[Any] | CompoundSelect[Any]:
    """The ids of the posts the rare filter ``narrowed.fewest`` names, read from its own
    index (at most _FEW_ROWS rows of it, a number the planner sees)."""
    if narrowed.fewest == "tag":
        return (
            select(post_tags.c.post_id)
            .where(post_tags.c.tag_id == narrowed.tag_id)
            .limit(_FEW_ROWS)
        )
    if narrowed.fewest == "favourited_by":
        return (
            select(Favourite.post_id)
            .where(Favourite.user_id == narrowed.favourited_by_id)
            .limit(_FEW_ROWS)
        )
    owned = select(Post.id).where(Post.author_id == narrowed.author_id).limit(_FEW_ROWS)
    co_written = (
        select(post_authors.c.post_id)
        .where(post_authors.c.user_id == narrowed.author_id)
        .limit(_FEW_ROWS)
    )
    return union_all(select(owned.subquery().c[0]), select(co_written.subquery().c[0]))


def _matching(narrowed: Narrowed) -> tuple[Select[Post], Any, Any]:
    """Listed posts matching ``narrowed`` with their authors (run it with ``_at``), and
    the columns of their time and id to order and page them by.

    Common filters walk the listed posts newest first. A rare one reads its posts' ids
    and times from its own index into a materialised set, which is then sorted: ordered
    by the set's columns, no plan can walk the posts instead, whatever the planner
    guesses of the filter (a prepared statement's generic plan guesses blind)."""
    conditions = _conditions(narrowed)
    if narrowed.fewest is None:
        return _LISTED.where(*conditions), Post.published_at, Post.id
    few = (
        select(Post.id.label("id"), Post.published_at.label("at"))
        .where(Post.is_listed(_LISTED_AT), Post.id.in_(_few_ids(narrowed)), *conditions)
        .cte("few")
        .prefix_with("MATERIALIZED")
    )
    stmt = _with_authors(select(Post).join(few, few.c.id == Post.id))
    return stmt, few.c.at, few.c.id


def numbered(
    session: DbSession, now: datetime, filters: Filters | Narrowed, limit: int, offset: int
) -> list[Post]:
    """One numbered page of published posts, newest first, with their authors: one
    query (two with filters not yet ``narrow``ed; none for an unknown name). For APIs
    that page by offset (RealWorld); the site's own pages use keyset pagination. How
    many match in all: ``count``."""
    narrowed = narrow(session, filters) if isinstance(filters, Filters) else filters
    if narrowed is None:
        return []
    stmt, at, ident = _matching(narrowed)
    rows = session.scalars(
        stmt.order_by(at.desc(), ident.desc()).limit(limit).offset(offset), _at(now)
    ).unique()
    return list(rows)


@dataclass(frozen=True)
class Count:
    """How many published posts match some filters at a moment, and when the next
    scheduled one among them appears (None: none waits). Until then, and until the
    content changes, the number stands."""

    number: int
    until: datetime | None


def count(session: DbSession, now: datetime, filters: Filters | Narrowed) -> Count:
    """How many published posts match ``filters`` at ``now``, and until when: one
    query (two with filters not yet ``narrow``ed, none for an unknown name), whose cost
    grows with the number of matches."""
    narrowed = narrow(session, filters) if isinstance(filters, Filters) else filters
    if narrowed is None:
        return Count(0, None)
    published = and_(Post.status == Status.PUBLISHED.value, Post.deleted_at.is_(None))
    stmt = select(
        func.count(Post.id).filter(Post.published_at <= now),
        func.min(Post.published_at).filter(Post.published_at > now),
    ).where(published, *_conditions(narrowed))
    if narrowed.fewest is not None:
        stmt = stmt.where(Post.id.in_(_few_ids(narrowed)))
    number, until = session.execute(stmt).one()
    return Count(number, until)


def tags_in_use(session: DbSession, now: datetime, limit: int) -> list[str]:
    """The names of the tags on published posts, most used first: one query."""
    uses = _tag_uses(now).order_by(func.count(Post.id).desc(), Tag.name).limit(limit)
    return [name for name, _ in session.execute(uses)]


def listed_page(
    session: DbSession, now: datetime, size: int, where: ColumnElement[bool],
    before: str | None = None, after: str | None = None,
) -> Page[Post]:  # fmt: skip
    """A page of listed posts narrowed by ``where`` (another feature's list, such as
    a month of the archive), newest first, with their authors. Raises BadCursor."""
    return _page(session, now, _LISTED.where(where), size, before, after)
