"""Site settings: what an admin may change from the browser, and their rules."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from functools import cached_property
from typing import Any

from sqlalchemy import select

from inkstand import audit, inputs, markup, text
from inkstand.accounts.models import EmailConfirmation, Role, User
from inkstand.accounts.services import require_admin
from inkstand.audit import Action, Target
from inkstand.db import DbSession
from inkstand.exceptions import Invalid
from inkstand.site import menu as menus
from inkstand.site.models import CONTENT_VERSION, CommentPolicy, SiteSetting

POSTS_PER_PAGE_RANGE = (1, 100)
NEWSLETTER_CONTENT = ("full", "excerpt")
# Languages PostgreSQL's full-text search stems (migration 0006 makes a configuration
# of each with accents folded); "simple" stems none. SQLite's index never stems.
SEARCH_LANGUAGES = (
    "simple", "danish", "dutch", "english", "finnish", "french", "german", "hungarian",
    "italian", "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish",
    "turkish",
)  # fmt: skip


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Inkstand"
    description: str = "Writing, published."
    posts_per_page: int = 10
    registration_open: bool = True
    new_account_role: str = Role.READER.value
    comment_policy: str = CommentPolicy.HOLD_FIRST.value
    search_language: str = "english"
    # Whether an account confirms its address (a mailed link) before it may comment;
    # registration then tells no one whether an address has an account.
    email_confirmation: str = EmailConfirmation.REQUIRED.value
    # Whether admins and editors must log in with a two-factor code.
    two_factor_for_staff: bool = False
    # The header's menu (site/menu.py: a JSON list of links, kept by pages.menu).
    menu: str = "[]"
    # The site icon: its PNG files by size ("32:<name> 180:<name> ..."), made from one
    # uploaded image by pages.identity; and the header's logo, one PNG file. Files of the
    # media folder, served under /media/. Empty: none.
    icon: str = ""
    logo: str = ""
    # The footer's text, a little Markdown, and its sanitised HTML, rendered on every save.
    footer: str = ""
    footer_html: str = ""

    # Whether readers may subscribe by e-mail; off, the forms go and nothing is mailed.
    subscriptions_open: bool = True
    # What a new post's mail carries: "full" (the whole post) or "excerpt".
    newsletter_content: str = "full"

    @cached_property
    def menu_items(self) -> list[menus.MenuItem]:
        """Every link of the menu, in order."""
        return menus.parse(self.menu)

    @cached_property
    def shown_menu(self) -> list[menus.MenuItem]:
        """The links the header shows: not those to a page that is not published."""
        return [item for item in self.menu_items if item.shown]

    @cached_property
    def icons(self) -> dict[int, str]:
        """The icon's file names by size in pixels."""
        found = {}
        for part in self.icon.split():
            size, _, name = part.partition(":")
            if size.isdigit() and STORED_PNG.fullmatch(name):
                found[int(size)] = name
        return found


# A file the identity settings name: a PNG of the media folder, named by its SHA-256.
STORED_PNG = re.compile(r"[0-9a-f]{64}\.png")
FOOTER_MAX = 2000
# Settings made from others on every save: the audit log names what was changed only.
DERIVED = frozenset({"footer_html"})


def load(session: DbSession) -> SiteConfig:
    """The current settings, defaults filled in for anything never saved."""
    rows = session.execute(select(SiteSetting.key, SiteSetting.value))
    stored: dict[str, str] = {row.key: row.value for row in rows}
    values: dict[str, Any] = {}
    for field in fields(SiteConfig):
        if field.name in stored:
            values[field.name] = _parse(field.type, stored[field.name])
    return SiteConfig(**values)


def content_version(session: DbSession) -> str:
    """A token that changes whenever anything visitors see changes."""
    stmt = select(SiteSetting.value).where(SiteSetting.key == CONTENT_VERSION)
    return session.scalar(stmt) or ""


def _parse(kind: Any, raw: str) -> Any:
    if kind in (bool, "bool"):
        return raw == "1"
    if kind in (int, "int"):
        return int(raw)
    return raw


def _dump(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def editable(session: DbSession, actor: User | None) -> SiteConfig:
    """The settings, for an admin about to change them. Raises Forbidden."""
    require_admin(actor)
    return load(session)


def update(session: DbSession, actor: User | None, **changes: Any) -> SiteConfig:
    """Change settings; only admins may. Raises Forbidden or Invalid."""
    admin = require_admin(actor)
    old = load(session)
    return _save(session, old, replace(old, **changes), admin)


def configure(session: DbSession, name: str, raw: str) -> SiteConfig:
    """Change one setting from the command line (the operator needs no account),
    under the same rules as the admin page. Raises Invalid."""
    kinds = {field.name: field.type for field in fields(SiteConfig)}
    if name not in kinds:
        raise Invalid.field("name", f"No such site setting; choose one of {', '.join(kinds)}.")
    try:
        value = _read(kinds[name], raw)
    except ValueError as exc:
        raise Invalid.field(name, str(exc)) from exc
    old = load(session)
    return _save(session, old, replace(old, **{name: value}), None)


def _identity_errors(new: SiteConfig) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(new.footer) > FOOTER_MAX:
        errors["footer"] = [f"Keep the footer under {FOOTER_MAX:,} characters."]
    problems = menus.errors(menus.parse(new.menu))
    if problems or (new.menu.strip() not in ("", "[]") and not menus.parse(new.menu)):
        errors["menu"] = problems or ["The menu is a JSON list of links."]
    if new.logo and not STORED_PNG.fullmatch(new.logo):
        errors["logo"] = ["The logo is a PNG file of the media folder."]
    if new.icon and len(new.icons) != len(new.icon.split()):
        errors["icon"] = ["The icon is a list of PNG files of the media folder by size."]
    return errors


def write(session: DbSession, **changes: str) -> None:
    """Store settings that another feature's service keeps (the menu's page links),
    inside that service's transaction: no check, no commit."""
    for key, value in changes.items():
        session.merge(SiteSetting(key=key, value=value))


NUMBER_MAX = 10**9  # more than any setting counts


def _read(kind: Any, raw: str) -> Any:
    """A value typed by an operator: yes/no for switches, digits for numbers."""
    if kind in (bool, "bool"):
        lowered = raw.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise ValueError("Give yes or no.")
        return lowered in {"1", "true", "yes", "on"}
    if kind in (int, "int"):
        number = inputs.whole_number(raw.strip(), 0, NUMBER_MAX)
        if number is None:
            raise ValueError("Give a whole number.")
        return number
    return raw


def _save(session: DbSession, old: SiteConfig, new: SiteConfig, actor: User | None) -> SiteConfig:
    """Check the settings and write them all; what changed goes in the audit log,
    each setting with its old and new value. Raises Invalid."""
    errors: dict[str, list[str]] = {}
    title = new.title.strip()
    if not title or len(title) > 80:
        errors["title"] = ["Give the site a title of at most 80 characters."]
    if len(new.description) > 300:
        errors["description"] = ["Keep the description under 300 characters."]
    low, high = POSTS_PER_PAGE_RANGE
    if not low <= new.posts_per_page <= high:
        errors["posts_per_page"] = [f"Choose between {low} and {high} posts per page."]
    if new.new_account_role not in (Role.READER.value, Role.AUTHOR.value):
        errors["new_account_role"] = ["New accounts are readers or authors."]
    if new.comment_policy not in {p.value for p in CommentPolicy}:
        errors["comment_policy"] = ["Choose one of the comment policies."]
    if new.search_language not in SEARCH_LANGUAGES:
        errors["search_language"] = ["Choose one of the search languages."]
    if new.email_confirmation not in {c.value for c in EmailConfirmation}:
        errors["email_confirmation"] = ["Choose whether addresses must be confirmed."]
    errors.update(_identity_errors(new))
    if new.newsletter_content not in NEWSLETTER_CONTENT:
        errors["newsletter_content"] = ["Choose the whole post or its excerpt."]
    if errors:
        raise Invalid(errors)
    new = replace(
        new,
        title=text.clean(title),
        description=text.clean(new.description),
        footer=text.clean(new.footer),
        footer_html=markup.render_comment(text.clean(new.footer)) if new.footer.strip() else "",
    )
    before = asdict(old)
    changed = {key: [before[key], value] for key, value in asdict(new).items()
               if value != before[key] and key not in DERIVED}  # fmt: skip
    for key, value in asdict(new).items():
        session.merge(SiteSetting(key=key, value=_dump(value)))
    if changed:
        audit.record(session, actor, Action.SETTINGS_CHANGED, Target.site(), {"changed": changed})
    session.commit()
    return new
