"""Writing what an importer read (authors, posts and pages, tags, comments) into the
site, one item at a time: each item in a savepoint of its own, so it is written whole
or not at all, and keyed by its source id, so a second run creates nothing twice.

The readers (``wordpress.py``, ``ghost.py``) turn their format into the items below and
decide what each source state means; everything here is the same for both.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from inkstand import markup
from inkstand.accounts.models import Role, User
from inkstand.accounts.services import USERNAME
from inkstand.blog.models import Post, Revision, SlugRedirect, Tag
from inkstand.blog.services.posts import (
    COVER_ALT_MAX,
    COVER_CAPTION_MAX,
    SLUG_MAX,
    TAG,
    TAG_MAX,
    TAGS_PER_POST,
    TITLE_MAX,
    slugify,
)  # fmt: skip
from inkstand.comments.models import Comment, CommentStatus
from inkstand.comments.services import BODY_MAX as COMMENT_MAX
from inkstand.comments.services import MAX_DEPTH
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid
from inkstand.media import services as media
from inkstand.media.models import Media
from inkstand.media.storage import Storage
from inkstand.moving import content
from inkstand.moving.models import ImportedItem, MovedLink
from inkstand.pages import services as pages

log = logging.getLogger(__name__)

TITLE_REFUSED = 10 * TITLE_MAX  # longer than this is no title: the item is refused
NO_DATE = "it is published but has no valid date"
CLASH = "the database refused it (a clash with an existing row)"
COMMIT_EVERY = 50  # items per commit; each is in its own savepoint all the same
# The characters of a featured image's description or caption read (HTML included):
# more than a cover keeps of them as plain text, however much markup they hold.
COVER_TEXT_READ = 4 * COVER_CAPTION_MAX


class Skip(Exception):
    """An item not imported, with the reason the report gives."""


@dataclass
class Author:
    source_id: str
    username: str
    email: str
    display_name: str = ""
    bio: str = ""


@dataclass
class CommentItem:
    source_id: str
    body_html: str
    status: str  # approved, pending, spam, deleted
    created_at: datetime | None
    parent_id: str = ""  # the source id of the comment replied to
    author_id: str = ""  # the source id of an imported author, if she wrote it
    author_name: str = ""
    author_email: str = ""


@dataclass
class Entry:
    """A post or a page as a source has it, its state already mapped."""

    source_id: str
    kind: str  # post, page
    title: str
    status: str  # draft or published (a future time: scheduled)
    published_at: datetime | None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    body_html: str = ""  # HTML to convert...
    body_markdown: str | None = None  # ...or Markdown as it is
    slug: str = ""
    excerpt: str = ""
    author_id: str = ""
    tags: list[str] = field(default_factory=list)
    comments: list[CommentItem] = field(default_factory=list)
    old_path: str = ""  # the path of its address on the old site
    featured: bool = False
    notes: list[str] = field(default_factory=list)  # what was changed to fit
    images: dict[str, str] = field(default_factory=dict)  # old image address -> kept copy's
    cover: str = ""  # the featured image's file in the uploads folder (a post's cover)
    cover_image: Media | None = None  # ...once kept
    cover_alt: str = ""  # the featured image's description (plain text)...
    cover_caption: str = ""  # ...and caption (HTML or plain text), kept with it


@dataclass
class Report:
    """What a run did: counts per kind, every item skipped with its reason, and notes
    on items imported with a change."""

    created: dict[str, int] = field(default_factory=dict)
    already: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    ignored: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""

    def count(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n

    def skip(self, kind: str, source_id: str, title: str, reason: str) -> None:
        self.skipped.append(
            {"kind": kind, "id": source_id[:200], "title": title[:200], "reason": reason}
        )

    def ignore(self, kind: str, reason: str) -> None:
        """Items of a kind that is not content (attachments, menu items): counted once per
        kind with the reason, not listed one by one (an export holds thousands)."""
        entry = self.ignored.setdefault(kind[:40], {"count": 0, "reason": reason})
        entry["count"] += 1

    def note(self, kind: str, source_id: str, title: str, note: str) -> None:
        self.notes.append({"kind": kind, "id": source_id[:200], "title": title[:200], "note": note})

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created, "already": self.already, "skipped": self.skipped,
            "ignored": self.ignored, "notes": self.notes, "error": self.error,
        }  # fmt: skip


@dataclass
class Uploads:
    """Where the old site's uploaded files are, and how to keep one as an Inkstand image:
    an address names a file of ``folder`` by what follows ``marker`` in it, less a
    ``sized`` prefix (a resized copy's, as Ghost's ``size/w600/``: the original is kept)."""

    folder: Path
    storage: Storage
    limits: media.Limits
    make_variants: Callable[[int], None]
    marker: str = "/wp-content/uploads/"
    name: str = "uploads folder"  # as the report's notes call it
    sized: re.Pattern[str] | None = None

    def path(self, address: str) -> Path | None:
        """The file of the folder an address (or a path in the folder) names; None for
        one outside it (``../``, a link out) or that is not a file there."""
        at = address.find(self.marker)
        relative = address[at + len(self.marker) :] if at >= 0 else address
        relative = unquote(re.split(r"[?#]", relative, maxsplit=1)[0]).lstrip("/")
        if self.sized is not None:
            relative = self.sized.sub("", relative, count=1)
        try:
            root = self.folder.resolve()
            path = (root / relative).resolve()
            return path if path.is_relative_to(root) and path.is_file() else None
        except (OSError, ValueError):  # a NUL, a name too long for the system
            return None


class Importer:
    """Writes items of one source (``wordpress:<site address>``, ``ghost``) as ``actor``."""

    def __init__(
        self, session: DbSession, source: str, actor: User, now: datetime, body_limit: int,
        uploads: Uploads | None = None, reserved: Collection[str] = frozenset(),
    ) -> None:  # fmt: skip
        self.session = session
        self.source = source[:200]
        self.actor = actor
        self.now = now
        self.body_limit = body_limit
        self.uploads = uploads
        self.reserved = reserved  # the site's own addresses, which no page takes
        self.report = Report()
        self._pending = 0
        self._authors: dict[str, int] = {}
        self._written: dict[str, int] = {}  # source id -> post id, of this run's posts
        self._kept: dict[tuple[Path, int], int] = {}  # file, owner -> image id, this run's

    # Keys of what was imported before.

    def _known(self, kind: str, source_id: str) -> int | None:
        return self.session.scalar(
            select(ImportedItem.target_id).where(
                ImportedItem.source == self.source, ImportedItem.kind == kind,
                ImportedItem.source_id == source_id[:200],
            )
        )  # fmt: skip

    def _remember(self, kind: str, source_id: str, target_id: int) -> None:
        self.session.add(
            ImportedItem(
                source=self.source, kind=kind, source_id=source_id[:200], target_id=target_id
            )
        )

    def _item(
        self,
        kind: str,
        source_id: str,
        title: str,
        write: Callable[[], None],
        *,
        count: bool = True,
    ) -> None:
        """Write one item in a savepoint: all of it, or nothing and a line in the report."""
        if self._known(kind, source_id) is not None:
            self.report.already[kind] = self.report.already.get(kind, 0) + 1
            return
        counted, skipped = dict(self.report.created), len(self.report.skipped)
        reason = ""
        try:
            with self.session.begin_nested():
                write()
        except Skip as error:
            reason = str(error)
        except (Invalid, Forbidden) as error:
            reason = error.message
        except (IntegrityError, SQLAlchemyError, ValueError) as error:
            log.info("import: %s %s refused by the database: %s", kind, source_id, error)
            reason = CLASH
        if reason:  # nothing of the item was written: nor is it counted
            self.report.created, self.report.skipped[skipped:] = counted, []
            self.report.skip(kind, source_id, title, reason)
            return
        if count:
            self.report.count(kind)
        self._pending += 1
        if self._pending >= COMMIT_EVERY:
            self.commit()

    def commit(self) -> None:
        self.session.commit()
        self._pending = 0

    # Authors.

    def author(self, item: Author) -> None:
        """Match an author by address or username, or make an account without a password
        (she sets one through "forgot your password")."""
        title = item.display_name or item.username or item.email
        self._item("author", item.source_id, title, lambda: self._write_author(item), count=False)

    def _write_author(self, item: Author) -> None:
        email = item.email.strip().lower()
        username = item.username.strip()
        found = None
        if email:
            found = self.session.scalar(select(User).where(func.lower(User.email) == email))
        if found is None and username:
            found = self.session.scalar(
                select(User).where(func.lower(User.username) == username.lower())
            )
        if found is None:
            if not email or "@" not in email or len(email) > 254:
                raise Skip("no e-mail address: her posts go to the account importing them")
            user = User(
                username=self._free_username(username or email.split("@")[0]),
                email=email, password_hash="", role=Role.AUTHOR.value,
                display_name=content.plain(item.display_name)[:80], bio=content.plain(item.bio),
                email_confirmed_at=self.now,
            )  # fmt: skip
            self.session.add(user)
            self.session.flush()
            found = user
            self.report.count("author (new account)")
        else:
            self.report.count("author (matched)")
        self._remember("author", item.source_id, found.id)

    def _free_username(self, wanted: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", wanted).encode("ascii", "ignore").decode()
        base = "".join(c for c in ascii_name if c.isalnum() or c in "_-")[:26]
        base = base if len(base) >= 3 else f"writer{base}"
        candidate, n = base, 1
        while self.session.scalar(
            select(User.id).where(func.lower(User.username) == candidate.lower())
        ):
            n += 1
            candidate = f"{base}{n}"
        assert USERNAME.match(candidate)
        return candidate

    def author_of(self, source_id: str) -> User:
        if source_id and source_id not in self._authors:
            target = self._known("author", source_id)
            if target is not None:
                self._authors[source_id] = target
        user_id = self._authors.get(source_id)
        if user_id is not None:
            user = self.session.get(User, user_id)
            if user is not None:
                return user
        return self.actor

    # Posts and pages.

    def entry(self, item: Entry) -> None:
        kind = "page" if item.kind == "page" else "post"
        if self.uploads is not None and self._known(kind, item.source_id) is None:
            self.commit()  # the images are kept (and committed) before the item's savepoint
            author = self.author_of(item.author_id)
            item.images = self._images(item, author)
            if item.cover and kind == "post":
                item.cover_image = self._keep(item.cover, item, author, "featured image")
        write = self._write_page if kind == "page" else self._write_entry
        self._item(kind, item.source_id, item.title[:200], lambda: write(item), count=False)

    def _title(self, item: Entry) -> str:
        title = content.plain(item.title[: TITLE_REFUSED * 4])
        if len(item.title) > TITLE_REFUSED:
            raise Skip(f"its title is {len(item.title):,} characters long (at most {TITLE_MAX})")
        if len(title) > TITLE_MAX:
            item.notes.append(f"title shortened to {TITLE_MAX} characters")
            title = markup.shorten(title, TITLE_MAX)
        return title or "Untitled"

    def _body(self, item: Entry) -> str:
        if item.body_markdown is not None:
            body = content.swap_images(item.body_markdown, item.images)
            body = body.replace("\x00", "").strip()
        else:
            images = item.images
            body = content.to_markdown(
                content.autop(item.body_html), lambda url: images.get(url, url)
            )
        if len(body) > self.body_limit:
            raise Skip(f"its body is {len(body):,} characters long (at most {self.body_limit:,})")
        return body

    def _images(self, item: Entry, author: User) -> dict[str, str]:
        """Keep each image the body shows from the uploads folder; their new addresses."""
        if self.uploads is None:
            return {}
        found: dict[str, str] = {}
        if item.body_markdown is not None:
            sources = content.markdown_image_sources(item.body_markdown[: self.body_limit + 1])
        else:
            sources = content.image_sources(item.body_html)
        for url in sources:
            if url.find(self.uploads.marker) < 0:
                continue
            kept = self._keep(url, item, author, "image", ": link kept")
            if kept is not None:
                found[url] = media.url(kept)
        return found

    def _keep(
        self, address: str, item: Entry, author: User, what: str, then: str = ""
    ) -> Media | None:
        """Keep a file of the uploads folder (named by its path there, or by an address
        holding the folder's marker) as ``author``'s image, committed; None, with a note
        on ``item``, when it is not there or is not an image."""
        if self.uploads is None:
            return None
        path = self.uploads.path(address)
        if path is None:
            item.notes.append(f"{what} {address[:200]} not in the {self.uploads.name}{then}")
            return None
        kept = self._kept.get((path, author.id))
        image = self.session.get(Media, kept) if kept is not None else None
        if image is not None:  # met before in this run: not read and cleaned again
            return image
        try:
            with path.open("rb") as file:
                data = file.read(self.uploads.limits.max_bytes + 1)
            image = media.upload(
                self.session, self.uploads.storage, author, data, self.uploads.limits,
                self.uploads.make_variants,
            )  # fmt: skip
        except (Invalid, Forbidden) as error:
            item.notes.append(f"{what} {address[:200]} not kept ({error.message}){then}")
            return None
        except OSError as error:
            item.notes.append(f"{what} {address[:200]} not kept (unreadable: "
                              f"{error.strerror or 'error'}){then}")  # fmt: skip
            return None
        self._kept[(path, author.id)] = image.id
        return image

    def late_cover(
        self, source_id: str, title: str, cover: str, alt: str = "", caption: str = ""
    ) -> None:
        """Give a post of this run the cover its source named before the file's own
        entry came (a WordPress attachment after the post that features it), with the
        image's description and caption."""
        post_id = self._written.get(source_id)
        post = self.session.get(Post, post_id) if post_id is not None else None
        if post is None or self.uploads is None:
            return
        self.commit()
        item = Entry(
            source_id=source_id, kind="post", title=title, status="", published_at=None,
            cover_alt=alt, cover_caption=caption,
        )  # fmt: skip
        author = self.session.get(User, post.author_id) if post.author_id else None
        image = self._keep(cover, item, author or self.actor, "featured image")
        if image is not None:
            try:
                with self.session.begin_nested():
                    self._set_cover(post, image, item)
            except SQLAlchemyError as error:
                log.info("import: cover of post %s refused: %s", source_id, error)
                item.notes.append(f"featured image {cover[:200]} not set: {CLASH}")
        for note in item.notes:
            self.report.note("post", source_id, post.title, note)

    def _set_cover(self, post: Post, image: Media, item: Entry) -> None:
        self._cover(post, image, item)
        body = media.named_in(self.session, post.body_source)
        media.record_uses(self.session, post.id, post.title, body, image)

    @staticmethod
    def _cover(post: Post, image: Media, item: Entry) -> None:
        post.cover_id, post.cover_name = image.id, image.name
        post.cover_srcset = media.srcsets([image]).get(media.url(image), "")
        post.cover_alt = _cover_text(item, item.cover_alt, COVER_ALT_MAX, "description")
        post.cover_caption = _cover_text(item, item.cover_caption, COVER_CAPTION_MAX, "caption")

    def _slug(self, wanted: str, title: str) -> str:
        base = slugify(wanted or title)[:SLUG_MAX]
        candidate, n = base, 1
        while self._slug_taken(candidate):
            n += 1
            candidate = f"{base[: SLUG_MAX - 8]}-{n}"
        return candidate

    def _slug_taken(self, slug: str) -> bool:
        return bool(
            self.session.scalar(select(Post.id).where(Post.slug == slug))
            or self.session.scalar(select(SlugRedirect.post_id).where(SlugRedirect.slug == slug))
        )

    def _tags(self, item: Entry) -> list[Tag]:
        names: list[str] = []
        for raw in item.tags:
            name = "-".join(content.plain(raw).lower().split())[:TAG_MAX].strip("-")
            if not name or name in names:
                continue
            if not TAG.match(name):
                item.notes.append(f"tag {raw[:40]!r} left out: not a tag name")
                continue
            names.append(name)
        if len(names) > TAGS_PER_POST:
            item.notes.append(f"only the first {TAGS_PER_POST} of {len(names)} tags kept")
            names = names[:TAGS_PER_POST]
        found = {t.name: t for t in self.session.scalars(select(Tag).where(Tag.name.in_(names)))}
        tags = []
        for name in names:
            if name not in found:
                found[name] = Tag(name=name)
                self.session.add(found[name])
                self.report.count("tag")
            tags.append(found[name])
        return tags

    def _write_entry(self, item: Entry) -> None:
        title = self._title(item)
        author = self.author_of(item.author_id)
        if item.author_id and author is self.actor:
            item.notes.append("author not imported: the post is the importing account's")
        body = self._body(item)
        shown = media.named_in(self.session, body)
        srcsets = media.srcsets(shown)
        rendered = markup.render_post(body, srcsets)
        tags = self._tags(item)
        excerpt = markup.shorten(content.plain(item.excerpt), 500)
        created = item.created_at or item.published_at or self.now
        post = Post(
            author_id=author.id, title=title, slug=self._slug(item.slug, title),
            body_source=body, body_html=rendered.html, excerpt_source=excerpt,
            excerpt=excerpt or rendered.excerpt or title,
            tag_names=",".join(t.name for t in tags), reading_minutes=markup.reading_minutes(body),
            status=item.status, published_at=item.published_at, created_at=created,
            updated_at=item.updated_at or created, featured=item.featured,
        )  # fmt: skip
        post.tags = tags
        self.session.add(post)
        self.session.flush()
        self.session.add(
            Revision(
                post_id=post.id, number=1, editor_id=author.id, title=post.title,
                body_source=body, excerpt_source=excerpt, tags_text=", ".join(t.name for t in tags),
                slug=post.slug, status=post.status, published_at=post.published_at,
                comments_closed=False, featured=post.featured, created_at=created,
            )
        )  # fmt: skip
        self._links(item, post)
        post.comment_count = self._comments(item, post)
        if item.cover_image is not None:
            self._cover(post, item.cover_image, item)
        media.record_uses(self.session, post.id, post.title, shown, item.cover_image)
        self._remember("post", item.source_id, post.id)
        self._written[item.source_id] = post.id
        for note in item.notes:
            self.report.note(item.kind, item.source_id, title, note)
        scheduled = item.published_at is not None and item.published_at > self.now
        state = "scheduled" if scheduled else post.status
        self.report.count(f"{item.kind} ({state})")

    def _write_page(self, item: Entry) -> None:
        """A page, through the pages' own checks and write; an address the site keeps
        for itself, or another page's, is given the next free one (and a note)."""
        title = self._title(item)
        author = self.author_of(item.author_id)
        if item.author_id and author is self.actor:
            item.notes.append("author not imported: the page is the importing account's")
        body = self._body(item)
        wanted = slugify(item.slug) if item.slug else ""
        slug = pages.free_address(self.session, wanted, title, self.reserved)
        if wanted and slug != wanted:
            item.notes.append(f"the address /{wanted} is taken or the site's own: it is /{slug}")
        created = item.created_at or item.published_at or self.now
        status = item.status
        if item.published_at is not None and item.published_at > self.now:
            item.notes.append("scheduled: kept as a draft (a page is published when saved)")
            status = "draft"
        page = pages.import_page(
            self.session, self.actor, author,
            pages.PageChanges(title=title, body=body, slug=slug, status=status),
            published_at=item.published_at, created_at=created,
            updated_at=item.updated_at or created, body_limit=self.body_limit,
            reserved=self.reserved,
        )  # fmt: skip
        self._remember("page", item.source_id, page.id)
        if item.old_path.strip("/") not in ("", page.slug):
            item.notes.append(f"its old address {item.old_path[:200]} is not sent to /{page.slug}")
        for note in item.notes:
            self.report.note("page", item.source_id, title, note)
        self.report.count(f"page ({page.status})")

    def _links(self, item: Entry, post: Post) -> None:
        """The old address keeps working: its slug redirects if it was another, and its
        path (a WordPress permalink) is sent to the post."""
        old = slugify(item.slug) if item.slug else ""
        if old and old != post.slug and not self._slug_taken(old):
            self.session.add(SlugRedirect(slug=old, post_id=post.id))
        path = item.old_path[:500]
        if path and path not in ("/", "") and self.session.get(MovedLink, path) is None:
            self.session.add(MovedLink(path=path, post_id=post.id))

    def _comments(self, item: Entry, post: Post) -> int:
        """Write the post's comments, parents first; returns how many are shown."""
        written: dict[str, Comment] = {}
        shown = 0
        pending = sorted(item.comments, key=lambda c: _number(c.source_id))
        for _ in range(MAX_DEPTH + 2):  # replies that came before their parent, again
            later = []
            for comment in pending:
                if comment.parent_id and comment.parent_id not in written:
                    if any(c.source_id == comment.parent_id for c in item.comments):
                        later.append(comment)
                        continue
                    comment.parent_id = ""
                made = self._comment(comment, post, written.get(comment.parent_id))
                if made is None:
                    continue
                written[comment.source_id] = made
                shown += made.status == CommentStatus.APPROVED and not made.deleted
            if not later or len(later) == len(pending):
                for comment in later:
                    self.report.skip("comment", comment.source_id, post.title, "its thread loops")
                break
            pending = later
        return shown

    def _comment(self, item: CommentItem, post: Post, parent: Comment | None) -> Comment | None:
        body = content.to_markdown(content.autop(item.body_html))
        name = content.plain(item.author_name)[:80]
        author = self.author_of(item.author_id) if item.author_id else None
        if author is None and item.author_email:
            author = self.session.scalar(
                select(User).where(func.lower(User.email) == item.author_email.strip().lower())
            )
        if author is None and name:
            body = f"*{name}:*\n\n{body}"  # a guest's comment keeps her name
        if not body.strip():
            self.report.skip("comment", item.source_id, post.title, "it is empty")
            return None
        if len(body) > COMMENT_MAX:
            self.report.skip("comment", item.source_id, post.title,
                             f"it is longer than {COMMENT_MAX:,} characters")  # fmt: skip
            return None
        if parent is not None and parent.depth >= MAX_DEPTH:
            parent_id, depth = parent.parent_id, parent.depth
        else:
            parent_id, depth = (parent.id, parent.depth + 1) if parent else (None, 0)
        status = item.status if item.status in set(CommentStatus) else CommentStatus.APPROVED
        comment = Comment(
            post_id=post.id, author_id=author.id if author else None, parent_id=parent_id,
            depth=depth, body_source=body, body_html=markup.render_comment(body),
            status=status, deleted=item.status == "deleted",
            created_at=item.created_at or post.created_at,
        )  # fmt: skip
        self.session.add(comment)
        self.session.flush()
        self._remember("comment", item.source_id, comment.id)
        self.report.count("comment")
        return comment


def _cover_text(item: Entry, value: str, limit: int, what: str) -> str:
    """A featured image's description or caption as a cover keeps it: plain text (tags
    dropped, entities read: Ghost's caption is HTML), cut to ``limit`` with a note."""
    found = content.plain(value[:COVER_TEXT_READ])
    if len(found) > limit:
        item.notes.append(f"featured image {what} shortened to {limit} characters")
        found = markup.shorten(found, limit)
    return found


def _number(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)
