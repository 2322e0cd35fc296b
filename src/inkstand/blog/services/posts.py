"""Writing posts: create, change, publish and delete them (to the trash); each save is
a revision."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, NoReturn

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from inkstand import audit, markup, text
from inkstand.accounts.models import User
from inkstand.audit import Action, Target
from inkstand.blog import permissions
from inkstand.blog.models import (
    Post,
    Revision,
    SlugRedirect,
    Status,
    Tag,
    WorkingRevision,
    post_tags,
)
from inkstand.blog.services import settings
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Conflict, Forbidden, Invalid, NotFound
from inkstand.media import services as media
from inkstand.media.models import Media

TITLE_MAX = 200
SLUG_MAX = 120
EXCERPT_MAX = 500
COVER_ALT_MAX = 300
COVER_CAPTION_MAX = 500
TAG_MAX = 40
TAGS_PER_POST = 10
YEARS = (1900, 9000)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG = re.compile(r"^[^\W_](?:[\w-]*[^\W_])?$")
_NON_SLUG = re.compile(r"[^a-z0-9]+")


class Keep(Enum):
    """The value of a field a change leaves as it is."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True)
class PostFields:
    """A post's editable fields: what the edit form shows and what every save writes.
    The defaults are a new post's."""

    title: str = ""
    body: str = ""
    status: str = Status.DRAFT.value
    slug: str = ""  # empty: made from the title
    excerpt: str = ""  # empty: the first paragraph
    tags: tuple[str, ...] = ()
    publish_at: datetime | None = None  # none: when published, now or the first time
    comments_closed: bool = False
    cover_id: int | None = None  # an image of the media library
    cover_alt: str = ""  # what the cover shows, for readers who cannot see it
    cover_caption: str = ""  # shown under the cover
    meta_title: str = ""  # empty: the title
    meta_description: str = ""  # empty: the excerpt
    canonical_url: str = ""  # empty: the post's own address
    featured: bool = False
    coauthors: tuple[str, ...] = ()  # usernames, after the owner


@dataclass(frozen=True)
class PostChanges:
    """The fields of a post to change, from a form or an API: any subset, the others
    left at KEEP. Tags are a list of names."""

    title: str | Keep = KEEP
    body: str | Keep = KEEP
    status: str | Keep = KEEP
    slug: str | Keep = KEEP
    excerpt: str | Keep = KEEP
    tags: Sequence[str] | Keep = KEEP
    publish_at: datetime | Keep | None = KEEP
    comments_closed: bool | Keep = KEEP
    cover_id: int | Keep | None = KEEP
    cover_alt: str | Keep = KEEP
    cover_caption: str | Keep = KEEP
    meta_title: str | Keep = KEEP
    meta_description: str | Keep = KEEP
    canonical_url: str | Keep = KEEP
    featured: bool | Keep = KEEP
    coauthors: Sequence[str] | Keep = KEEP

    def applied_to(self, fields: PostFields) -> PostFields:
        """``fields`` with these changes: the one merge of a partial update."""
        sent = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        changed = {name: value for name, value in sent.items() if value is not KEEP}
        for listed in ("tags", "coauthors"):
            if listed in changed:
                changed[listed] = tuple(changed[listed])
        return dataclasses.replace(fields, **changed)


def editable(post: Post) -> PostFields:
    """A post's editable fields as they are now."""
    return PostFields(
        title=post.title,
        body=post.body_source,
        status=post.status,
        slug=post.slug,
        excerpt=post.excerpt_source,
        tags=tuple(post.tag_list),
        publish_at=post.published_at,
        comments_closed=post.comments_closed,
        cover_id=post.cover_id,
        cover_alt=post.cover_alt,
        cover_caption=post.cover_caption,
        meta_title=post.meta_title,
        meta_description=post.meta_description,
        canonical_url=post.canonical_url,
        featured=post.featured,
        coauthors=tuple(u.username for u in post.coauthors) if post.id is not None else (),
    )


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "post"


def parse_tags(names: Sequence[str]) -> list[str]:
    """Normalised tag names, each once, in the order given. Raises Invalid."""
    found: list[str] = []
    for raw in names:
        name = re.sub(r"\s+", "-", raw.strip().lower())
        if not name:
            continue
        if len(name) > TAG_MAX or not TAG.match(name):
            raise Invalid.field(
                "tags", f"“{name[:TAG_MAX]}” is not a tag: use letters, digits and hyphens."
            )
        if name not in found:
            found.append(name)
    if len(found) > TAGS_PER_POST:
        raise Invalid.field("tags", f"Use at most {TAGS_PER_POST} tags.")
    return found


def writing_errors(
    title: str, body: str, slug: str, body_limit: int, what: str, slug_max: int = SLUG_MAX
) -> dict[str, list[str]]:
    """What is wrong with the title, body and address of a piece of writing (a post or
    a page, ``what``), by field: the rules both are written under."""
    errors: dict[str, list[str]] = {}
    title = title.strip()
    if not title:
        errors["title"] = [f"Give the {what} a title."]
    elif len(title) > TITLE_MAX or text.CONTROL.search(title):
        errors["title"] = [f"Use at most {TITLE_MAX} printable characters."]
    if not body.strip():
        errors["body"] = ["Write something in the body."]
    elif len(body) > body_limit:
        errors["body"] = [f"The body is limited to {body_limit:,} characters."]
    if slug and (len(slug) > slug_max or not SLUG.match(slug)):
        errors["slug"] = [f"Use lowercase letters, digits and single hyphens, at most {slug_max}."]
    return errors


def _validate(data: PostFields, body_limit: int) -> dict[str, list[str]]:
    errors = writing_errors(data.title, data.body, data.slug, body_limit, "post")
    if len(data.excerpt) > EXCERPT_MAX:
        errors["excerpt"] = [f"Keep the excerpt under {EXCERPT_MAX} characters."]
    if data.status not in {s.value for s in Status}:
        errors["status"] = ["Choose draft, published or archived."]
    if data.publish_at is not None and data.publish_at.tzinfo is None:
        errors["publish_at"] = ["Give the publication time with its time zone."]
    elif data.publish_at is not None and not YEARS[0] <= data.publish_at.year <= YEARS[1]:
        errors["publish_at"] = [f"Choose a year between {YEARS[0]} and {YEARS[1]}."]
    errors.update(settings.validate(data.meta_title, data.meta_description, data.canonical_url))
    errors.update(cover_text_errors(data.cover_alt, data.cover_caption))
    return errors


def cover_text_errors(alt: str, caption: str) -> dict[str, list[str]]:
    """What is wrong with a cover's text alternative and caption, by field: plain text
    without control characters, of a bounded length once stripped."""
    errors: dict[str, list[str]] = {}
    for name, value, limit, what in (
        ("cover_alt", alt, COVER_ALT_MAX, "the cover's description"),
        ("cover_caption", caption, COVER_CAPTION_MAX, "the caption"),
    ):
        if text.CONTROL.search(value):
            errors[name] = [f"Use printable characters only in {what}."]
        elif len(value.strip()) > limit:
            errors[name] = [f"Keep {what} to at most {limit} characters."]
    return errors


def _clean_body(body: str) -> str:
    return body.replace("\x00", "")  # no database keeps NUL


def _rendered(session: DbSession, body: str) -> tuple[markup.Rendered, Sequence[Media]]:
    """A body parsed once: its stored HTML (uploaded images given their ``srcset``) and
    excerpt; and those images."""
    body = _clean_body(body)
    images = media.named_in(session, body)
    return markup.render_post(body, media.srcsets(images)), images


def render_body(session: DbSession, body: str) -> str:
    """The HTML a post body is stored as on save, and shown as in the editor's preview:
    one function for both, so the preview is what readers will see."""
    return _rendered(session, body)[0].html


def preview(session: DbSession, actor: User | None, body: str, body_limit: int) -> str:
    """The HTML saving ``body`` would store; nothing is saved. Raises Forbidden or Invalid."""
    if actor is None or not permissions.can_create(actor):
        raise Forbidden("Your account may not write posts.")
    if len(body) > body_limit:
        raise Invalid.field("body", f"The body is limited to {body_limit:,} characters.")
    return render_body(session, body)


def _clean(data: PostFields) -> PostFields:
    """Strip characters no database keeps (NUL) and surrounding space."""
    return dataclasses.replace(
        data,
        title=data.title.strip(),
        body=_clean_body(data.body),
        slug=data.slug.strip().lower(),
        excerpt=text.clean(data.excerpt),
        cover_alt=text.clean(data.cover_alt),
        cover_caption=text.clean(data.cover_caption),
        meta_title=text.clean(data.meta_title),
        meta_description=text.clean(data.meta_description),
        canonical_url=data.canonical_url.strip(),
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


def _slug(session: DbSession, post: Post, data: PostFields, editor: User, now: datetime) -> str:
    """The address to save: the one asked for if free, else the post's own, else one
    made from the title. A changed address leaves the old one redirecting. An address
    held by a post the editor may not see is not refused, which would confirm that post:
    the editor gets the next free one (a post in the trash is seen by who may restore
    it). Raises Invalid."""
    if data.slug:
        owner = _slug_owner(session, data.slug)
        slug = data.slug
        if owner is not None and owner != post.id:
            held_by = session.get(Post, owner)
            if (
                held_by is not None
                and held_by.in_trash
                and permissions.can_restore(editor, held_by)
            ):
                raise Invalid.field(
                    "slug", "A post in the trash keeps this address until it is purged."
                )
            if held_by is not None and permissions.can_view(editor, held_by, now):
                raise Invalid.field("slug", "Another post already uses this address.")
            slug = _free_slug(session, data.slug, post.id)
    elif post.slug:
        slug = post.slug
    else:
        slug = _free_slug(session, slugify(data.title), post.id)
    if post.slug and slug != post.slug:
        session.execute(delete(SlugRedirect).where(SlugRedirect.slug == slug))
        session.add(SlugRedirect(slug=post.slug, post_id=post.id))
    return slug


def _apply(
    session: DbSession, post: Post, data: PostFields, editor: User, now: datetime, limit: int
) -> None:
    """Write validated fields onto a post and record the revision. Raises Invalid, or
    Forbidden when a co-author changes the list of authors."""
    data = dataclasses.replace(data, canonical_url=data.canonical_url.strip())
    errors = _validate(data, limit)
    try:
        tag_names = parse_tags(data.tags)
    except Invalid as exc:
        errors.update(exc.errors)
    cover = None
    try:
        cover = _cover(session, post, data, editor)
    except Invalid as exc:
        errors.update(exc.errors)
    coauthors = None
    try:
        coauthors = settings.coauthors(session, post, data.coauthors, editor)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    data = _clean(data)
    post.slug = _slug(session, post, data, editor, now)
    post.title, post.body_source = data.title, data.body
    rendered, images = _rendered(session, data.body)
    post.body_html = rendered.html
    post.cover_id = cover.id if cover else None
    post.cover_name = cover.name if cover else ""
    post.cover_srcset = media.srcsets([cover]).get(media.url(cover), "") if cover else ""
    # Kept without a cover, where they are not shown: a cover chosen again finds them.
    post.cover_alt, post.cover_caption = data.cover_alt, data.cover_caption
    post.excerpt_source = data.excerpt
    post.excerpt = data.excerpt or rendered.excerpt or data.title
    post.reading_minutes = markup.reading_minutes(data.body)
    post.tags = _tags(session, tag_names)
    post.tag_names = ",".join(tag_names)
    post.updated_at = now
    post.version = (post.version or 0) + 1
    post.comments_closed = data.comments_closed
    post.meta_title, post.meta_description = data.meta_title, data.meta_description
    post.canonical_url, post.featured = data.canonical_url, data.featured
    _set_publication(post, data, now)
    is_new = post.id is None
    session.add(post)
    session.flush()
    if coauthors is not None:
        set_committed_value(
            post, "author_links", settings.write_coauthors(session, post, coauthors)
        )
    elif is_new:  # none to read
        set_committed_value(post, "author_links", [])
    _record_revision(session, post, editor, now)
    media.record_uses(session, post.id, post.title, images, cover)


def _cover(session: DbSession, post: Post, data: PostFields, editor: User) -> Media | None:
    """The cover image: a new one must be the editor's to use. Raises Invalid."""
    if data.cover_id is None:
        return None
    if data.cover_id == post.cover_id:  # kept as it was, whoever chose it
        return session.get(Media, data.cover_id)
    return media.usable_cover(session, editor, data.cover_id)


def _set_publication(post: Post, data: PostFields, now: datetime) -> None:
    post.status = data.status
    post.published_at = _publication_time(data, post.published_at, now)


def _publication_time(data: PostFields, stored: datetime | None, now: datetime) -> datetime | None:
    """The publication time a save stores: the one given; without one, a published
    post keeps its first time if that has come, else goes out now (so a scheduled post
    published without a time goes out now). A draft keeps only a time given."""
    if data.status == Status.DRAFT or data.publish_at is not None:
        return data.publish_at
    if data.status == Status.PUBLISHED and (stored is None or stored > now):
        # To the second, as the edit form shows it. Archiving a never-published post
        # does not publish it.
        return now.replace(microsecond=0)
    return stored


def _record_revision(session: DbSession, post: Post, editor: User, now: datetime) -> None:
    """A new numbered revision; the editor's working revision (autosave) is done with."""
    session.flush()
    _drop_working(session, post, editor)
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
            slug=post.slug,
            status=post.status,
            published_at=post.published_at,
            comments_closed=post.comments_closed,
            meta_title=post.meta_title,
            meta_description=post.meta_description,
            canonical_url=post.canonical_url,
            featured=post.featured,
            coauthors_text=", ".join(u.username for u in post.coauthors),
            created_at=now,
        )
    )


def _drop_working(session: DbSession, post: Post, editor: User) -> None:
    session.execute(
        delete(WorkingRevision).where(
            WorkingRevision.post_id == post.id, WorkingRevision.editor_id == editor.id
        )
    )


def _unchanged(wanted: PostFields, current: PostFields, now: datetime) -> bool:
    """Whether saving ``wanted`` would store what ``current`` holds (text cleaned, tags
    normalised and the publication time chosen as a save does)."""
    try:
        tags = tuple(parse_tags(wanted.tags))
    except Invalid:
        return False
    when = _publication_time(wanted, current.publish_at, now)
    return dataclasses.replace(_clean(wanted), tags=tags, publish_at=when) == _clean(current)


def _save(
    session: DbSession, post: Post, data: PostFields, editor: User, now: datetime, limit: int
) -> None:
    """Apply and commit one save, or leave nothing written. Raises Invalid, Conflict, or
    NotFound when the post was deleted while it was being saved."""
    saved_before = post.id  # None for a new post
    try:
        _apply(session, post, data, editor, now, limit)
        session.commit()
    except Invalid:
        session.rollback()
        raise
    except (StaleDataError, IntegrityError) as exc:
        session.rollback()
        _refuse_lost_save(session, saved_before, exc)


def _refuse_lost_save(
    session: DbSession, post_id: int | None, exc: StaleDataError | IntegrityError
) -> NoReturn:
    """The error of a save that another write overtook: the post deleted meanwhile
    (its row gone, or its revisions refused by the foreign key), another save of the
    same version landed first, or a simultaneous save took the same slug, tag or number."""
    current = None
    if post_id is not None:
        current = session.scalar(select(Post.version).where(Post.id == post_id))
        session.rollback()  # end the read: the caller's next step starts afresh
        if current is None:
            raise NotFound("No such post.") from exc
    if isinstance(exc, StaleDataError):
        raise Conflict(current or 0) from exc
    raise Invalid.field(
        "post", "Another save happened at the same moment. Please save again."
    ) from exc


def create_post(
    session: DbSession, actor: User | None, changes: PostChanges, now: datetime, body_limit: int
) -> Post:
    """Write a new post as ``actor``: the fields given, a new post's defaults for the
    others. Returns it with its author. Raises Forbidden or Invalid."""
    if actor is None or not permissions.can_create(actor):
        raise Forbidden("Your account may not write posts.")
    post = Post(author=actor, slug="", created_at=now, tags=[])
    _save(session, post, changes.applied_to(PostFields()), actor, now, body_limit)
    return post


def find(session: DbSession, post_id: int, *, with_tags: bool = True) -> Post | None:
    """The post ``post_id`` with its author (and its tags), or None. A post this request
    has read already (and still holds) comes from the session's identity map: the row is
    not read again, only what was not loaded with it."""
    if not 0 < post_id <= ID_MAX:
        return None
    loads = [
        joinedload(Post.author),
        joinedload(Post.author_links),
        *([selectinload(Post.tags)] if with_tags else []),
    ]
    post = session.get(Post, post_id, options=loads)
    if post is None:
        return None
    unloaded = inspect(post).unloaded
    if "author" in unloaded:
        set_committed_value(post, "author", session.get(User, post.author_id))
    if with_tags and "tags" in unloaded:
        tagged = select(post_tags.c.tag_id).where(post_tags.c.post_id == post.id)
        tags = session.scalars(select(Tag).where(Tag.id.in_(tagged)).order_by(Tag.name))
        set_committed_value(post, "tags", list(tags))
    return post


def get_for_edit(session: DbSession, actor: User | None, post_id: int, now: datetime) -> Post:
    """A post ``actor`` may change, with its author and tags; not one in the trash
    (restore it first). Raises NotFound (no such post, or one ``actor`` may not even
    see) or Forbidden."""
    post = find(session, post_id)
    if post is None or post.in_trash:
        raise NotFound("No such post.")
    _check_allowed(
        permissions.can_edit(actor, post), actor, post, now, "You may not change this post."
    )
    return post


def _check_allowed(
    allowed: bool, actor: User | None, post: Post, now: datetime, refusal: str
) -> None:
    """Unless ``allowed``: Forbidden with ``refusal`` for a post ``actor`` sees, and
    NotFound for one she may not see (another's draft is not confirmed to exist)."""
    if allowed:
        return
    if permissions.can_view(actor, post, now):
        raise Forbidden(refusal)
    raise NotFound("No such post.")


def change_post(
    session: DbSession, actor: User | None, post_id: int, changes: PostChanges, now: datetime,
    body_limit: int, based_on: int | None = None,
) -> Post:  # fmt: skip
    """Save a new version of a post: the fields changed, the others as they are; a
    change that changes nothing saves nothing (no revision, the same version).
    ``based_on`` is the version the changes were made to (None: whatever is stored, as
    the RealWorld API and an API call without If-Match want). Returns it with its author
    and tags. Raises NotFound, Forbidden, Invalid, or Conflict when a newer version
    than ``based_on`` is stored."""
    post = get_for_edit(session, actor, post_id, now)
    assert actor is not None  # get_for_edit refused anonymous
    if based_on is not None and based_on != post.version:
        raise Conflict(post.version)
    current = editable(post)
    wanted = changes.applied_to(current)
    if _unchanged(wanted, current, now):  # no revision, no new version: only the editor's
        _drop_working(session, post, actor)  # working copy is done with, as on a save
        session.commit()
        return post
    _save(session, post, wanted, actor, now, body_limit)
    return post


def publish_post(
    session: DbSession, actor: User | None, post_id: int, at: datetime | None, now: datetime,
    body_limit: int, based_on: int | None = None,
) -> Post:  # fmt: skip
    """Publish a post at ``at`` (a future time schedules it); without a time, at its
    first publication time if that has come, else now: a scheduled post published
    without a time goes out now. Raises NotFound, Forbidden, Invalid or Conflict
    (see change_post)."""
    changes = PostChanges(status=Status.PUBLISHED.value, publish_at=at)
    return change_post(session, actor, post_id, changes, now, body_limit, based_on)


def target(post: Post) -> Target:
    """A post as the audit log names it: by its title as it is now."""
    return Target("post", post.id, post.title)


def delete_post(session: DbSession, actor: User | None, post_id: int, now: datetime) -> Post:
    """Move a post to the trash (blog.services.trash): it leaves every page and list at
    once, answers 404, and keeps its slug, revisions and comments until it is restored
    or purged. Returns it. Raises NotFound (no such post, in the trash already, or
    deleted by another request first), Forbidden, or Conflict when it was saved since it
    was read (the newer version is not deleted unseen)."""
    post = session.get(Post, post_id) if 0 < post_id <= ID_MAX else None
    if post is None or post.in_trash:
        raise NotFound("No such post.")
    allowed = permissions.can_delete(actor, post)
    _check_allowed(allowed, actor, post, now, "You may not delete this post.")
    post.deleted_at = now
    if not permissions.is_owner(actor, post):  # an editor's or admin's: recorded
        audit.record(
            session, actor, Action.POST_DELETED, target(post), {"author_id": post.author_id},
            now=now,
        )  # fmt: skip
    try:
        session.commit()
    except StaleDataError as exc:  # deleted or saved since it was read
        session.rollback()
        _refuse_lost_save(session, post_id, exc)
    return post
