"""Arranging the header's menu (admins): pages of the site and links elsewhere, added,
removed and moved up or down. The menu is a site setting (site/menu.py); each page's
links follow its address and state on every save, so drawing the menu reads no page."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import select

from inkstand import text
from inkstand.accounts.models import User
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.pages import permissions
from inkstand.pages.models import Page
from inkstand.site import services as site
from inkstand.site.menu import MenuItem, dump


def _link_to(page: Page, label: str) -> MenuItem:
    return MenuItem(label=label, url=f"/{page.slug}", page_id=page.id, shown=page.is_published)


def items(session: DbSession, actor: User | None) -> list[MenuItem]:
    """The menu as stored, for an admin arranging it. Raises Forbidden."""
    if not permissions.can_arrange(actor):
        raise Forbidden("Only admins arrange the menu.")
    return site.load(session).menu_items


def _store(session: DbSession, actor: User | None, new: Sequence[MenuItem]) -> list[MenuItem]:
    """Check and save the whole menu, committing. Raises Forbidden or Invalid."""
    try:
        saved = site.update(session, actor, menu=dump(new))
    except Invalid as error:
        raise Invalid({"menu": error.errors.get("menu", [error.message])}) from error
    return saved.menu_items


def add_page(session: DbSession, actor: User | None, page_id: int, label: str) -> list[MenuItem]:
    """Add a link to a page at the end (its title when no label is given). A draft's
    link waits, unseen, until the page is published. Raises Forbidden, NotFound, Invalid."""
    current = items(session, actor)
    page = session.get(Page, page_id) if 0 < page_id <= ID_MAX else None
    if page is None:
        raise NotFound("No such page.")
    return _store(
        session, actor, [*current, _link_to(page, text.clean(label) or page.title[:60].strip())]
    )


def add_link(session: DbSession, actor: User | None, label: str, url: str) -> list[MenuItem]:
    """Add a link to any address at the end. Raises Forbidden or Invalid."""
    current = items(session, actor)
    return _store(session, actor, [*current, MenuItem(label=text.clean(label), url=url.strip())])


def _index(found: Sequence[MenuItem], index: int) -> int:
    if not 0 <= index < len(found):
        raise NotFound("No such link in the menu.")
    return index


def remove(session: DbSession, actor: User | None, index: int) -> list[MenuItem]:
    """Take the link at ``index`` out. Raises Forbidden or NotFound."""
    current = items(session, actor)
    del current[_index(current, index)]
    return _store(session, actor, current)


def move(session: DbSession, actor: User | None, index: int, offset: int) -> list[MenuItem]:
    """Move the link at ``index`` up (-1) or down (+1); at either end it stays.
    Raises Forbidden or NotFound."""
    current = items(session, actor)
    index = _index(current, index)
    to = min(max(index + (1 if offset > 0 else -1), 0), len(current) - 1)
    current[index], current[to] = current[to], current[index]
    return _store(session, actor, current)


def follow_page(session: DbSession, page: Page) -> None:
    """Give the page's links in the menu its address and state, in the caller's
    transaction (a page's save): no commit."""
    current = site.load(session).menu_items
    updated = [
        dataclasses.replace(item, url=f"/{page.slug}", shown=page.is_published)
        if item.page_id == page.id
        else item
        for item in current
    ]
    if updated != current:
        site.write(session, menu=dump(updated))


def forget_page(session: DbSession, page_id: int) -> None:
    """Drop a deleted page's links from the menu, in the caller's transaction."""
    current = site.load(session).menu_items
    kept = [item for item in current if item.page_id != page_id]
    if kept != current:
        site.write(session, menu=dump(kept))


def choices(session: DbSession) -> list[tuple[int, str]]:
    """The pages an admin may add, by title: (id, title)."""
    rows = session.execute(select(Page.id, Page.title, Page.status).order_by(Page.title))
    return [(r.id, r.title if r.status == "published" else f"{r.title} (draft)") for r in rows]
