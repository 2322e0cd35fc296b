"""Writing pages: create, change, delete, list; every save is a revision. The body is
rendered by the posts' own renderer, so the editor's preview is what readers see."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from inkstand import audit
from inkstand.accounts.models import User
from inkstand.audit import Action, Target
from inkstand.blog.services import posts
from inkstand.blog.services.posts import KEEP, Keep
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Conflict, Forbidden, Invalid, NotFound
from inkstand.media import services as media
from inkstand.pages import menu, permissions
from inkstand.pages.models import Page, PageRevision, PageStatus

TITLE_MAX = posts.TITLE_MAX
SLUG_MAX = 60
PAGES_MAX = 200  # pages a site keeps: the writers' list shows them all, in one query
# Addresses no page takes although no route answers them today: kept for the site's own
# use, and names that would mislead a reader. Every route's first segment is refused too
# (the view hands those in, read from the URL map).
RESERVED = frozenset(
    {
        "account", "accounts", "api", "assets", "auth", "blog", "edit",
        "favicon", "feed", "feeds", "graphql", "home", "inkstand", "index", "login",
        "logout", "manifest", "new", "page", "pages", "post", "posts", "public", "robots",
        "rss", "settings", "signin", "signup", "site", "sitemap", "static", "user", "users",
        "well-known", "wp-admin", "wp-login", "www",
    }
)  # fmt: skip


@dataclass(frozen=True)
class PageFields:
    """A page's editable fields; the defaults are a new page's."""

    title: str = ""
    body: str = ""
    slug: str = ""  # empty: made from the title
    status: str = PageStatus.DRAFT.value


@dataclass(frozen=True)
class PageChanges:
    """The fields to change, any subset; the others left at KEEP."""

    title: str | Keep = KEEP
    body: str | Keep = KEEP
    slug: str | Keep = KEEP
    status: str | Keep = KEEP

    def applied_to(self, fields: PageFields) -> PageFields:
        sent = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return dataclasses.replace(fields, **{k: v for k, v in sent.items() if v is not KEEP})


def editable(page: Page) -> PageFields:
    return PageFields(page.title, page.body_source, page.slug, page.status)


def _validate(data: PageFields, body_limit: int) -> dict[str, list[str]]:
    errors = posts.writing_errors(data.title, data.body, data.slug, body_limit, "page", SLUG_MAX)
    if data.status not in {s.value for s in PageStatus}:
        errors["status"] = ["Choose draft or published."]
    return errors


def _slug(session: DbSession, page: Page, data: PageFields, reserved: Collection[str]) -> str:
    """The address to save: the one asked for, else the page's own, else one made from
    the title. Raises Invalid for an address a route or another page holds."""
    slug = data.slug or page.slug or posts.slugify(data.title)[:SLUG_MAX].rstrip("-")
    if slug in reserved or slug in RESERVED:
        raise Invalid.field("slug", f"/{slug} is an address of the site itself; choose another.")
    other = session.scalar(select(Page.id).where(Page.slug == slug, Page.id != page.id))
    if other is not None:
        raise Invalid.field("slug", f"Another page already uses /{slug}.")
    return slug


def _record_revision(session: DbSession, page: Page, editor: User, now: datetime) -> None:
    session.flush()
    number = session.scalar(
        select(func.coalesce(func.max(PageRevision.number), 0)).where(
            PageRevision.page_id == page.id
        )
    )
    session.add(
        PageRevision(
            page_id=page.id, number=(number or 0) + 1, editor_id=editor.id, title=page.title,
            slug=page.slug, status=page.status, body_source=page.body_source, created_at=now,
        )
    )  # fmt: skip


def _apply(
    session: DbSession, page: Page, data: PageFields, editor: User, now: datetime,
    body_limit: int, reserved: Collection[str],
) -> None:  # fmt: skip
    errors = _validate(data, body_limit)
    if errors:
        raise Invalid(errors)
    data = dataclasses.replace(
        data, title=data.title.strip(), body=data.body.replace("\x00", ""),
        slug=data.slug.strip().lower(),
    )  # fmt: skip
    page.slug = _slug(session, page, data, reserved)
    page.title, page.body_source = data.title, data.body
    page.body_html = posts.render_body(session, data.body)
    page.status = data.status
    if data.status == PageStatus.PUBLISHED and page.published_at is None:
        page.published_at = now
    page.updated_at = now
    page.version = (page.version or 0) + 1
    session.add(page)
    _record_revision(session, page, editor, now)
    # Every write of a page's title or body comes here (the editor, the API, restored
    # revisions, imports): the images it shows are recorded, so none is deleted under it.
    media.record_page_uses(session, page.id, page.title, page.body_source)
    menu.follow_page(session, page)


def _save(
    session: DbSession, page: Page, data: PageFields, editor: User, now: datetime,
    body_limit: int, reserved: Collection[str],
) -> None:  # fmt: skip
    saved_before = page.id
    try:
        _apply(session, page, data, editor, now, body_limit, reserved)
        session.commit()
    except Invalid:
        session.rollback()
        raise
    except (StaleDataError, IntegrityError) as exc:
        session.rollback()
        if saved_before is not None:
            current = session.scalar(select(Page.version).where(Page.id == saved_before))
            session.rollback()
            if current is None:
                raise NotFound("No such page.") from exc
            if isinstance(exc, StaleDataError):
                raise Conflict(current) from exc
        raise Invalid.field(
            "slug", "Another save took this address at the same moment. Please save again."
        ) from exc


def require_writer(actor: User | None) -> User:
    """``actor``, who may write pages. Raises Forbidden."""
    if actor is None or not permissions.can_write(actor):
        raise Forbidden("Only editors and admins write pages.")
    return actor


def create_page(
    session: DbSession, actor: User | None, changes: PageChanges, now: datetime,
    body_limit: int, reserved: Collection[str],
) -> Page:  # fmt: skip
    """Write a new page. ``reserved`` are the addresses the site's routes answer.
    Raises Forbidden or Invalid, and then writes nothing."""
    editor = require_writer(actor)
    if (session.scalar(select(func.count(Page.id))) or 0) >= PAGES_MAX:
        raise Invalid.field("title", f"A site keeps at most {PAGES_MAX} pages.")
    page = Page(slug="", author_id=editor.id, created_at=now)
    _save(session, page, changes.applied_to(PageFields()), editor, now, body_limit, reserved)
    return page


def free_address(session: DbSession, wanted: str, title: str, reserved: Collection[str]) -> str:
    """The address ``wanted`` (else one made from ``title``) if a page may take it, else the
    first free one after it (``about-2``): neither the site's own nor another page's."""
    base = posts.slugify(wanted or title)[:SLUG_MAX].rstrip("-")
    candidate, n = base, 1
    while (
        candidate in reserved
        or candidate in RESERVED
        or session.scalar(select(Page.id).where(Page.slug == candidate)) is not None
    ):
        n += 1
        candidate = f"{base[: SLUG_MAX - 8].rstrip('-')}-{n}"
    return candidate


def import_page(
    session: DbSession, actor: User | None, author: User, changes: PageChanges, *,
    published_at: datetime | None, created_at: datetime, updated_at: datetime,
    body_limit: int, reserved: Collection[str],
) -> Page:  # fmt: skip
    """Write a page brought from another site by ``actor`` (who may write pages), as
    ``author`` wrote it then: checked and saved as every page is, with its first revision,
    in the caller's transaction (no commit: an import keeps each item in a savepoint).
    Raises Forbidden or Invalid, and then adds nothing."""
    require_writer(actor)
    if (session.scalar(select(func.count(Page.id))) or 0) >= PAGES_MAX:
        raise Invalid.field("title", f"A site keeps at most {PAGES_MAX} pages.")
    data = changes.applied_to(PageFields())
    page = Page(slug="", author_id=author.id, created_at=created_at)
    if data.status == PageStatus.PUBLISHED:
        page.published_at = published_at or created_at
    _apply(session, page, data, author, updated_at, body_limit, reserved)
    return page


def _get(session: DbSession, page_id: int) -> Page:
    page = session.get(Page, page_id) if 0 < page_id <= ID_MAX else None
    if page is None:
        raise NotFound("No such page.")
    return page


def get_for_edit(session: DbSession, actor: User | None, page_id: int) -> Page:
    """A page ``actor`` may change. Raises NotFound (for anyone who may not see it
    either) or Forbidden."""
    page = _get(session, page_id)
    if not permissions.can_write(actor):
        if permissions.can_view(actor, page):
            raise Forbidden("Only editors and admins write pages.")
        raise NotFound("No such page.")
    return page


def change_page(
    session: DbSession, actor: User | None, page_id: int, changes: PageChanges, now: datetime,
    body_limit: int, reserved: Collection[str], based_on: int | None = None,
) -> Page:  # fmt: skip
    """Save a new version of a page; a change that changes nothing saves nothing.
    Raises NotFound, Forbidden, Invalid, or Conflict when a version newer than
    ``based_on`` is stored."""
    page = get_for_edit(session, actor, page_id)
    editor = require_writer(actor)
    if based_on is not None and based_on != page.version:
        raise Conflict(page.version)
    current = editable(page)
    wanted = changes.applied_to(current)
    if dataclasses.replace(wanted, title=wanted.title.strip()) == current:
        return page
    _save(session, page, wanted, editor, now, body_limit, reserved)
    return page


def delete_page(session: DbSession, actor: User | None, page_id: int) -> str:
    """Delete a page with its revisions, and its links in the menu. Returns its title.
    Raises NotFound or Forbidden."""
    page = get_for_edit(session, actor, page_id)
    title = page.title
    menu.forget_page(session, page.id)
    audit.record(session, actor, Action.PAGE_DELETED, Target("page", page.id, page.slug))
    session.delete(page)
    session.commit()
    return title


def show(session: DbSession, viewer: User | None, slug: str) -> Page:
    """The page at ``/<slug>`` for ``viewer``: one query. Raises NotFound (also for a
    draft, to anyone who may not write pages)."""
    if not slug or len(slug) > SLUG_MAX:
        raise NotFound("No such page.")
    page = session.scalar(select(Page).where(Page.slug == slug))
    if page is None or not permissions.can_view(viewer, page):
        raise NotFound("No such page.")
    return page


def listing(session: DbSession, actor: User | None) -> Sequence[Page]:
    """Every page, by title, for who may write them (at most PAGES_MAX): one query.
    Raises Forbidden."""
    require_writer(actor)
    return session.scalars(select(Page).order_by(Page.title, Page.id)).all()


def visible(session: DbSession, viewer: User | None) -> Sequence[Page]:
    """The pages ``viewer`` may read, by title: every page for who may write them, the
    published ones for anyone else (at most PAGES_MAX): one query."""
    stmt = select(Page).order_by(Page.title, Page.id)
    if not permissions.can_write(viewer):
        stmt = stmt.where(Page.status == PageStatus.PUBLISHED.value)
    return session.scalars(stmt).all()


def get(session: DbSession, viewer: User | None, page_id: int) -> Page:
    """The page ``page_id``, if ``viewer`` may read it. Raises NotFound."""
    page = _get(session, page_id)
    if not permissions.can_view(viewer, page):
        raise NotFound("No such page.")
    return page


def revisions(
    session: DbSession, actor: User | None, page_id: int
) -> tuple[Page, list[PageRevision]]:
    """A page and its revisions, newest first. Raises NotFound or Forbidden."""
    page = get_for_edit(session, actor, page_id)
    rows = session.scalars(
        select(PageRevision)
        .where(PageRevision.page_id == page.id)
        .options(selectinload(PageRevision.editor))
        .order_by(PageRevision.number.desc())
    )
    return page, list(rows)


def compare(
    session: DbSession, actor: User | None, page_id: int, first: int, second: int
) -> tuple[Page, PageRevision | None, PageRevision | None]:
    """A page and two of its revisions (None for a number it has not got)."""
    page = get_for_edit(session, actor, page_id)
    found = {
        r.number: r
        for r in session.scalars(
            select(PageRevision).where(
                PageRevision.page_id == page.id, PageRevision.number.in_((first, second))
            )
        )
    }
    return page, found.get(first), found.get(second)


def restore_revision(
    session: DbSession, actor: User | None, page_id: int, number: int, now: datetime,
    body_limit: int, reserved: Collection[str],
) -> Page:  # fmt: skip
    """Make an old revision's title and body current again, as a new revision; the
    address and state stay. Raises NotFound, Forbidden or Invalid."""
    page = get_for_edit(session, actor, page_id)
    old = session.scalar(
        select(PageRevision).where(PageRevision.page_id == page.id, PageRevision.number == number)
    )
    if old is None:
        raise NotFound("No such revision.")
    changes = PageChanges(title=old.title, body=old.body_source)
    return change_page(session, actor, page.id, changes, now, body_limit, reserved)
