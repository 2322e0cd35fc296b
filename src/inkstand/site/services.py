"""Site settings: what an admin may change from the browser, and their rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy import select

from inkstand import inputs, text
from inkstand.accounts.models import EmailConfirmation, Role, User
from inkstand.accounts.services import require_admin
from inkstand.db import DbSession
from inkstand.exceptions import Invalid
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
    # Whether readers may subscribe by e-mail; off, the forms go and nothing is mailed.
    subscriptions_open: bool = True
    # What a new post's mail carries: "full" (the whole post) or "excerpt".
    newsletter_content: str = "full"


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
    return _save(session, replace(editable(session, actor), **changes))


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
    return _save(session, replace(load(session), **{name: value}))


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


def _save(session: DbSession, new: SiteConfig) -> SiteConfig:
    """Check the settings and write them all. Raises Invalid."""
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
    if new.newsletter_content not in NEWSLETTER_CONTENT:
        errors["newsletter_content"] = ["Choose the whole post or its excerpt."]
    if errors:
        raise Invalid(errors)
    new = replace(new, title=text.clean(title), description=text.clean(new.description))
    for key, value in asdict(new).items():
        session.merge(SiteSetting(key=key, value=_dump(value)))
    session.commit()
    return new
