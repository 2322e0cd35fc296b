"""Pages made through the real services, for the tests of this folder."""

from __future__ import annotations

from typing import Any

from flask import current_app

from inkstand.accounts.models import User
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.pages import services
from inkstand.pages.models import Page
from inkstand.pages.services import PageChanges
from inkstand.pages.views import reserved_addresses
from tests.helpers import POST_BODY_MAX


def make_page(writer: User, title: str = "About", **fields: Any) -> Page:
    """A page written by ``writer`` (published unless told), as the editor saves it."""
    changes = PageChanges(
        title=title,
        body=fields.pop("body", "We write about *things*."),
        status=fields.pop("status", "published"),
        **fields,
    )
    return services.create_page(
        db.session, writer, changes, utcnow(), POST_BODY_MAX,
        reserved_addresses(current_app.url_map),
    )  # fmt: skip


def change_page(page: Page, actor: User, **fields: Any) -> Page:
    """``page`` with ``fields`` changed by ``actor``, as the editor saves it."""
    return services.change_page(
        db.session, actor, page.id, PageChanges(**fields), utcnow(), POST_BODY_MAX,
        reserved_addresses(current_app.url_map),
    )  # fmt: skip
