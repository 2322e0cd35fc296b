"""What a site export holds, one section per feature: its tables (and files).

Adding a feature to the export is one ``Section`` in ``SECTIONS`` naming its tables;
the import restores them in the order their foreign keys need, whatever the order
here. Every table of the models is either in a section or in ``NOT_EXPORTED`` with
the reason (``tests/moving/test_site.py`` checks it), so a new table cannot be
forgotten silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from inkstand.db import DbSession
from inkstand.media import services as media
from inkstand.media.models import Media
from inkstand.media.services import WIDTHS
from inkstand.pages.models import Page
from inkstand.site.models import SiteSetting


@dataclass(frozen=True)
class Section:
    """Some tables of the export. ``secret`` gives, per table, the columns a plain
    export writes blank (password hashes, two-factor secrets, nonces: only a full
    backup keeps them); ``full_only`` tables are written only in a full backup;
    ``files`` names the stored files the section's rows need; ``rebuilt`` writes, per
    table, its rows from the others' when an archive made before the table existed
    lacks it."""

    name: str
    tables: tuple[str, ...]
    secret: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    full_only: tuple[str, ...] = ()
    files: Callable[[Connection], Iterable[str]] | None = None
    rebuilt: Mapping[str, Callable[[DbSession], None]] = field(default_factory=dict)

    def tables_for(self, full: bool) -> tuple[str, ...]:
        return self.tables + self.full_only if full else self.tables


def _media_files(conn: Connection) -> Iterable[str]:
    """Each image's original and the smaller copies it may have."""
    for digest, extension, width in conn.execute(
        select(Media.digest, Media.extension, Media.width).order_by(Media.id)
    ):
        yield f"{digest}.{extension}"
        for w in WIDTHS:
            if w < width:
                yield f"{digest}-{w}.{extension}"


def _identity_files(conn: Connection) -> Iterable[str]:
    """The site icon's sizes and the logo: files of the media folder named in site
    settings, with no row of the media library."""
    rows = conn.execute(
        select(SiteSetting.value).where(SiteSetting.key.in_(("icon", "logo")))
    ).scalars()
    for value in rows:
        for part in value.split():
            yield part.rpartition(":")[2]


def _page_images(session: DbSession) -> None:
    """The images each page shows, as saving the page again would record them."""
    rows = session.execute(select(Page.id, Page.title, Page.body_source)).all()
    for page_id, title, body in rows:
        media.record_page_uses(session, page_id, title, body)
    session.flush()


SECTIONS: tuple[Section, ...] = (
    Section(
        "accounts",
        ("users", "username_redirects", "follows"),
        secret={
            "users": {
                "password_hash": "",
                "totp_secret": None,
                "totp_last_step": None,
                "email_change_nonce": None,
                "email_confirm_nonce": None,
            },
        },
        full_only=("recovery_codes", "api_tokens", "invitations"),
    ),
    Section("settings", ("site_settings",), files=_identity_files),
    Section("media", ("media", "media_uses"), files=_media_files),
    Section(
        "posts",
        (
            "tags",
            "posts",
            "post_tags",
            "post_authors",
            "slug_redirects",
            "revisions",
            "working_revisions",
            "favourites",
        ),
    ),
    Section("comments", ("comments",)),
    Section(
        "pages",
        ("pages", "media_page_uses", "page_revisions"),
        rebuilt={"media_page_uses": _page_images},  # recorded since migration 0024
    ),
    Section("subscriptions", ("subscribers", "newsletters", "newsletter_sends")),
    Section("analytics", ("daily_totals", "page_views")),
    Section("imports", ("imported_items", "moved_links")),
    # Who did what, from which address: a full backup's, as the accounts' secrets are.
    Section("audit", (), full_only=("audit_log",)),
)

# Tables an export leaves out, and why.
NOT_EXPORTED: Mapping[str, str] = {
    "ended_sessions": "log-in sessions belong to the site they were opened on",
    "visitor_salts": "the daily salts of visitor counts are never kept",
    "comment_events": "the live comment stream's recent events",
    "import_runs": "the history of imports into this site",
}
