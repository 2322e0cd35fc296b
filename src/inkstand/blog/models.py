"""Posts, their tags, revisions and old slugs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    event,
    false,
    func,
    select,
    update,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from inkstand.accounts.models import User
from inkstand.db import IDS_NEVER_REUSED, Base, PublicContent, UTCDateTime, utcnow


class Status(StrEnum):
    """Stored states. "Scheduled" is not stored: it is a published post whose
    publication time has not come yet, so it appears by itself with no job."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_tags_tag_id_post_id", "tag_id", "post_id"),
)


# A post's co-authors, after its owner (``posts.author_id``), in the order shown.
post_authors = Table(
    "post_authors",
    Base.metadata,
    Column("post_id", Integer, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_post_authors_user_id_post_id", "user_id", "post_id"),
)


class Tag(PublicContent, Base):
    __tablename__ = "tags"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


def _listed_in_sql(posts: type[Post], now: datetime) -> ColumnElement[bool]:
    return and_(
        posts.status == Status.PUBLISHED.value,
        posts.published_at <= now,
        posts.deleted_at.is_(None),
    )


# Each post's state by id, for lists that read it for many posts at once (search).
VISIBILITY_INDEX = "ix_posts_id_status_published_at_author_id_deleted_at"


class Post(PublicContent, Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    excerpt_source: Mapped[str] = mapped_column(String(500), default="")
    excerpt: Mapped[str] = mapped_column(String(500))
    # The tag names, comma-separated, written with ``tags`` on every save so that
    # lists show tags without loading them.
    tag_names: Mapped[str] = mapped_column(String(500), default="", server_default="")
    reading_minutes: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value)
    comments_closed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Approved comments not deleted, kept up to date by comments.services so that
    # lists and the post page show the count without counting.
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Readers who favourited the post, kept by blog.services.favourites like comment_count.
    favourite_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The cover image, and its file name and srcset written with it on every save, so
    # that lists show covers without loading them.
    cover_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    cover_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    cover_srcset: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # What the cover shows, for readers who cannot see it (its alt text), and the caption
    # shown under it: plain text, kept when the cover is removed (shown only with one).
    cover_alt: Mapped[str] = mapped_column(String(300), default="", server_default="")
    cover_caption: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Post settings: what search engines and social sites show (empty: the title and
    # excerpt), the address a post first published elsewhere lives at, and whether the
    # home page shows it in its featured block.
    meta_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    meta_description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    canonical_url: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    featured: Mapped[bool] = mapped_column(default=False, server_default=false())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised by one on every save (blog.services.posts): an edit form and an API ETag
    # carry the version they were read at, and a save over a newer one is refused. The
    # mapper adds "WHERE version = <read>" to each update, so two saves of the same
    # version cannot both land.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # When the post was moved to the trash (blog.services.trash); None: not in it. A
    # trashed post is on no page and answers 404, keeps its slug, and is purged after
    # TRASH_DAYS.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship(lazy="raise")
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, lazy="raise", order_by=Tag.name)
    # Written as rows of ``post_authors`` by blog.services.posts. Loaded on first use
    # rather than raising: the permission to edit reads it of a single post from any
    # feature's service (one query, only for a writer who is neither staff nor owner);
    # lists load it with their posts, and their query counts are asserted. Rows, not a
    # secondary table: a joined load of rows then accounts is two LEFT JOINs by key,
    # where a secondary's nested join makes SQLite read every row of post_authors.
    author_links: Mapped[list[PostAuthor]] = relationship(
        lazy="select", order_by=post_authors.c.position, viewonly=True
    )

    __table_args__ = (
        Index("ix_posts_status_published_at_id", "status", "published_at", "id"),
        Index("ix_posts_author_id_published_at_id", "author_id", "published_at", "id"),
        # The writers' "Posts" page: last edited first, all posts or one author's.
        Index("ix_posts_updated_at_id", "updated_at", "id"),
        Index("ix_posts_author_id_updated_at_id", "author_id", "updated_at", "id"),
        Index(VISIBILITY_INDEX, "id", "status", "published_at", "author_id", "deleted_at"),
        # The trash, newest first, and the purge of what has been there long enough.
        Index("ix_posts_deleted_at_id", "deleted_at", "id"),
        # The home page's featured block: the newest featured posts.
        Index("ix_posts_featured_published_at_id", "featured", "published_at", "id"),
        # The writers' list sorted by title, and by creation.
        Index("ix_posts_title_id", "title", "id"),
        Index("ix_posts_created_at_id", "created_at", "id"),
        Index("ix_posts_author_id_title_id", "author_id", "title", "id"),
        Index("ix_posts_author_id_created_at_id", "author_id", "created_at", "id"),
        IDS_NEVER_REUSED,
    )
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def coauthors(self) -> list[User]:
        """The co-authors, in the order shown."""
        return [link.user for link in self.author_links]

    @property
    def authors(self) -> list[User]:
        """Everyone who wrote the post: its owner first, then its co-authors."""
        return [self.author, *self.coauthors]

    @property
    def tag_list(self) -> list[str]:
        return self.tag_names.split(",") if self.tag_names else []

    def _is_listed(self, now: datetime) -> bool:
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and self.deleted_at is None
        )

    # Shown in the home page, tag and author lists: published, and its time has come.
    # ``post.is_listed(now)`` answers for a post, ``Post.is_listed(now)`` in a query.
    is_listed = hybrid_method(_is_listed, _listed_in_sql)

    def is_public(self, now: datetime) -> bool:
        """Readable by anyone: listed, or archived after publication (links keep working);
        never a post in the trash."""
        if self.status == Status.ARCHIVED:
            return (
                self.published_at is not None
                and self.published_at <= now
                and self.deleted_at is None
            )
        return self.is_listed(now)

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    def display_status(self, now: datetime) -> str:
        """The state a person sees: draft, scheduled, published or archived."""
        if self.status == Status.PUBLISHED and not self.is_listed(now):
            return "scheduled"
        return self.status

    def __repr__(self) -> str:
        return f"<Post {self.slug} ({self.status})>"


class PostAuthor(Base):
    """A co-author of a post (a row of ``post_authors``), with her account."""

    __table__ = post_authors

    post_id: Mapped[int]
    user_id: Mapped[int]
    position: Mapped[int]
    user: Mapped[User] = relationship(lazy="joined")


class SlugRedirect(PublicContent, Base):
    """A slug a post once had; requests for it are sent on with a 301."""

    __tablename__ = "slug_redirects"

    slug: Mapped[str] = mapped_column(String(120), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)


class Revision(Base):
    """The post as one save left it."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int]
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text)
    excerpt_source: Mapped[str] = mapped_column(String(500), default="")
    tags_text: Mapped[str] = mapped_column(String(500), default="")
    # The rest of the post as the save left it, so that a comparison shows every field.
    # Revisions saved before these were kept have "" (and None): not recorded.
    slug: Mapped[str] = mapped_column(String(120), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="", server_default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comments_closed: Mapped[bool | None] = mapped_column()
    # The post settings as this save left them; co-authors as usernames, comma-separated.
    meta_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    meta_description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    canonical_url: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    featured: Mapped[bool] = mapped_column(default=False, server_default=false())
    coauthors_text: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    editor: Mapped[User | None] = relationship(lazy="raise")

    __table_args__ = (
        Index("uq_revisions_post_id_number", "post_id", "number", unique=True),
        IDS_NEVER_REUSED,
    )


class WorkingRevision(Base):
    """What one writer's editor autosaved of a post since its last save: one row per
    post and writer, overwritten by each autosave and removed by her next real save."""

    __tablename__ = "working_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    based_on: Mapped[int]  # the post's version the writer was editing
    title: Mapped[str] = mapped_column(String(200))
    body_source: Mapped[str] = mapped_column(Text)
    excerpt_source: Mapped[str] = mapped_column(String(500))
    tags_text: Mapped[str] = mapped_column(String(500))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_working_revisions_post_id_editor_id", "post_id", "editor_id", unique=True),
    )


class Favourite(Base):
    """A reader's mark on a post she liked."""

    __tablename__ = "favourites"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_favourites_post_id_user_id", "post_id", "user_id"),)


@event.listens_for(Session, "before_flush")
def _forget_favourites_of_deleted_accounts(
    session: Session, flush_context: Any, instances: Any
) -> None:
    """A deleted account's favourites go by the database's cascade; the counts kept on
    the posts it favourited drop with them, in the same transaction, whichever door
    deleted it."""
    gone = [o.id for o in session.deleted if isinstance(o, User)]
    if gone:
        theirs = (Favourite.user_id.in_(gone), Favourite.post_id == Post.id)
        count = select(func.count()).where(*theirs).scalar_subquery()
        session.execute(
            update(Post)
            .where(Post.id.in_(select(Favourite.post_id).where(Favourite.user_id.in_(gone))))
            .values(favourite_count=Post.favourite_count - count)
            .execution_options(synchronize_session=False)
        )
