"""Writing posts: create, change, publish and delete them; each save is a revision."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from inkstand import markup, text
from inkstand.accounts.models import User
from inkstand.blog import permissions
from inkstand.blog.models import Post, Revision, SlugRedirect, Status, Tag
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound

TITLE_MAX = 200
SLUG_MAX = 120
EXCERPT_MAX = 500
TAG_MAX = 40
TAGS_PER_POST = 10
YEARS = (1900, 9000)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG = re.compile(r"^[^\W_](?:[\w-]*[^\W_])?$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class PostInput:
    """What a writer sends when saving a post, from a form or an API."""

    title: str
    body: str
    status: str = Status.DRAFT.value
    slug: str = ""
    excerpt: str = ""
    tags: str = ""
    publish_at: datetime | None = None
    comments_closed: bool | None = None  # None: as it was (open, for a new post)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "post"


def parse_tags(text: str) -> list[str]:
    """Split a comma list into normalised tag names. Raises Invalid."""
    names: list[str] = []
    for raw in text.split(","):
        name = re.sub(r"\s+", "-", raw.strip().lower())
        if not name:
            continue
        if len(name) > TAG_MAX or not TAG.match(name):
            raise Invalid.field(
                "tags", f"“{name[:TAG_MAX]}” is not a tag: use letters, digits and hyphens."
            )
        if name not in names:
            names.append(name)
    if len(names) > TAGS_PER_POST:
        raise Invalid.field("tags", f"Use at most {TAGS_PER_POST} tags.")
    return names


def _validate(data: PostInput, body_limit: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = ["Give the post a title."]
    elif len(title) > TITLE_MAX or text.CONTROL.search(title):
        errors["title"] = [f"Use at most {TITLE_MAX} printable characters."]
    if not data.body.strip():
        errors["body"] = ["Write something in the body."]
    elif len(data.body) > body_limit:
        errors["body"] = [f"The body is limited to {body_limit:,} characters."]
    if data.slug and (len(data.slug) > SLUG_MAX or not SLUG.match(data.slug)):
        errors["slug"] = ["Use lowercase letters, digits and single hyphens."]
    if len(data.excerpt) > EXCERPT_MAX:
        errors["excerpt"] = [f"Keep the excerpt under {EXCERPT_MAX} characters."]
    if data.status not in {s.value for s in Status}:
        errors["status"] = ["Choose draft, published or archived."]
    if data.publish_at is not None and data.publish_at.tzinfo is None:
        errors["publish_at"] = ["Give the publication time with its time zone."]
    elif data.publish_at is not None and not YEARS[0] <= data.publish_at.year <= YEARS[1]:
        errors["publish_at"] = [f"Choose a year between {YEARS[0]} and {YEARS[1]}."]
    return errors


def _clean(data: PostInput) -> PostInput:
    """Strip characters no database keeps (NUL) and surrounding space."""
    return PostInput(
        title=data.title.strip(),
        body=data.body.replace("\x00", ""),
        status=data.status,
        slug=data.slug.strip().lower(),
        excerpt=text.clean(data.excerpt),
        tags=data.tags,
        publish_at=data.publish_at,
        comments_closed=data.comments_closed,
    )


def _slug_owner(session: DbSession, slug: str) -> int | None:
    """The id of the post that uses ``slug`` now or used it before, if any."""
    owner = session.scalar(select(Post.id).where(Post.slug == slug))
    if owner is None:
        owner = session.scalar(select(SlugRedirect.post_id).where(SlugRedirect.slug == slug))
    return owner


def _free_slug(session: DbSession, base: str, post_id: int | None) -> str:
    """``base``, or ``base-2``, ``base-3``...: the first no other post uses or used.

    Two queries however many are taken (slugs hold no LIKE wildcards)."""
    stem = base[: SLUG_MAX - 8]
    current = select(Post.slug).where(Post.slug.like(f"{stem}%"))
    former = select(SlugRedirect.slug).where(SlugRedirect.slug.like(f"{stem}%"))
    if post_id is not None:
        current = current.where(Post.id != post_id)
        former = former.where(SlugRedirect.post_id != post_id)
    taken = set(session.scalars(current)) | set(session.scalars(former))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _tags(session: DbSession, names: list[str]) -> list[Tag]:
    """Existing tags by name, creating the missing ones (not committed)."""
    if not names:
        return []
    found = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in found:
            found[name] = Tag(name=name)
            session.add(found[name])
    return [found[name] for name in names]


def _apply(
    session: DbSession, post: Post, data: PostInput, editor: User, now: datetime, limit: int
) -> None:
    """Write validated input onto a post and record the revision. Raises Invalid."""
    errors = _validate(data, limit)
    try:
        tag_names = parse_tags(data.tags)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    data = _clean(data)

    if data.slug:
        owner = _slug_owner(session, data.slug)
        if owner is not None and owner != post.id:
            raise Invalid.field("slug", "Another post already uses this address.")
        slug = data.slug
    elif post.slug:
        slug = post.slug
    else:
        slug = _free_slug(session, slugify(data.title), post.id)
    if post.slug and slug != post.slug:
        session.execute(delete(SlugRedirect).where(SlugRedirect.slug == slug))
        session.add(SlugRedirect(slug=post.slug, post_id=post.id))

    post.title, post.slug, post.body_source = data.title, slug, data.body
    post.body_html = markup.render_markdown(data.body)
    post.excerpt_source = data.excerpt
    post.excerpt = data.excerpt or markup.excerpt_from(data.body) or data.title
    post.reading_minutes = markup.reading_minutes(data.body)
    post.tags = _tags(session, tag_names)
    post.tag_names = ",".join(tag_names)
    post.updated_at = now
    if data.comments_closed is not None:
        post.comments_closed = data.comments_closed
    _set_status(post, data, now)
    session.add(post)
    _record_revision(session, post, editor, now)


def _set_status(post: Post, data: PostInput, now: datetime) -> None:
    """Publishing sets the publication time: the one given, else the first, else now."""
    post.status = data.status
    if data.status == Status.DRAFT or data.publish_at is not None:
        post.published_at = data.publish_at
    elif data.status == Status.PUBLISHED and (post.published_at is None or post.published_at > now):
        post.published_at = now  # archiving a never-published post does not publish it


def _record_revision(session: DbSession, post: Post, editor: User, now: datetime) -> None:
    session.flush()
    number = session.scalar(
        select(func.coalesce(func.max(Revision.number), 0)).where(Revision.post_id == post.id)
    )
    session.add(
        Revision(
            post_id=post.id,
            number=(number or 0) + 1,
            editor_id=editor.id,
            title=post.title,
            body_source=post.body_source,
            excerpt_source=post.excerpt_source,
            tags_text=", ".join(post.tag_list),
            created_at=now,
        )
    )


def _save(
    session: DbSession, post: Post, data: PostInput, editor: User, now: datetime, limit: int
) -> None:
    """Apply and commit one save, or leave nothing written. Raises Invalid."""
    try:
        _apply(session, post, data, editor, now, limit)
        session.commit()
    except Invalid:
        session.rollback()
        raise
    except IntegrityError as exc:  # a simultaneous save took the same slug, tag or number
        session.rollback()
        raise Invalid.field(
            "post", "Another save happened at the same moment. Please save again."
        ) from exc


def create_post(
    session: DbSession, actor: User | None, data: PostInput, now: datetime, body_limit: int
) -> Post:
    """Write a new post as ``actor``. Raises Forbidden or Invalid."""
    if actor is None or not permissions.can_create(actor):
        raise Forbidden("Your account may not write posts.")
    post = Post(author_id=actor.id, slug="", created_at=now, tags=[])
    _save(session, post, data, actor, now, body_limit)
    return post


def get_for_edit(session: DbSession, actor: User | None, post_id: int) -> Post:
    """A post ``actor`` may change. Raises NotFound or Forbidden."""
    post = session.scalar(select(Post).where(Post.id == post_id).options(selectinload(Post.tags)))
    if post is None:
        raise NotFound("No such post.")
    if not permissions.can_edit(actor, post):
        raise Forbidden("You may not change this post.")
    return post


def update_post(
    session: DbSession, actor: User | None, post_id: int, data: PostInput, now: datetime,
    body_limit: int,
) -> Post:  # fmt: skip
    """Save a new version of a post. Raises NotFound, Forbidden or Invalid."""
    post = get_for_edit(session, actor, post_id)
    assert actor is not None  # get_for_edit refused anonymous
    _save(session, post, data, actor, now, body_limit)
    return post


def delete_post(session: DbSession, actor: User | None, post_id: int) -> None:
    """Delete a post with its revisions and old slugs. Raises NotFound or Forbidden."""
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("No such post.")
    if not permissions.can_delete(actor, post):
        raise Forbidden("You may not delete this post.")
    session.delete(post)
    session.commit()
