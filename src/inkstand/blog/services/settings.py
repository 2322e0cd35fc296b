"""Post settings: what search engines see, the canonical address, the featured flag and
the co-authors. Checked and written by blog.services.posts on every save."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete, func, insert, select

from inkstand import text
from inkstand.accounts.models import User
from inkstand.blog import permissions
from inkstand.blog.models import Post, PostAuthor, post_authors
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid

META_TITLE_MAX = 200
META_DESCRIPTION_MAX = 500
CANONICAL_URL_MAX = 1000
COAUTHORS_MAX = 10


def validate(meta_title: str, meta_description: str, canonical_url: str) -> dict[str, list[str]]:
    """Form errors for the search-engine fields and the canonical address, by field."""
    errors: dict[str, list[str]] = {}
    if len(meta_title) > META_TITLE_MAX or text.CONTROL.search(meta_title):
        errors["meta_title"] = [f"Use at most {META_TITLE_MAX} printable characters."]
    if len(meta_description) > META_DESCRIPTION_MAX:
        errors["meta_description"] = [
            f"Keep the description under {META_DESCRIPTION_MAX} characters."
        ]
    if canonical_url and not is_web_address(canonical_url):
        errors["canonical_url"] = ["Give a whole web address, starting with https:// or http://."]
    return errors


def is_web_address(url: str) -> bool:
    """An absolute http(s) URL with a host, no spaces or control characters, not too long."""
    if len(url) > CANONICAL_URL_MAX or text.CONTROL.search(url) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and port_ok


def parse_usernames(names: Sequence[str]) -> list[str]:
    """Usernames as typed ("ada, @bob"), each once, in order, without "@", spaces and
    control characters (which no username holds, and PostgreSQL refuses to compare)."""
    found: list[str] = []
    for raw in names:
        name = text.clean(raw).lstrip("@").strip()
        if name and name.lower() not in {n.lower() for n in found}:
            found.append(name)
    return found


def coauthors(
    session: DbSession, post: Post, names: Sequence[str], editor: User
) -> list[User] | None:
    """The accounts ``names`` asks to be the post's co-authors, in order: one query, none
    when they are the ones it has. None when they are unchanged. Raises Invalid (an
    unknown name, a reader, too many) or Forbidden (a co-author changing the list)."""
    wanted = parse_usernames(names)
    current = [u.username for u in post.coauthors] if post.id is not None else []
    if [n.lower() for n in wanted] == [n.lower() for n in current]:
        return None
    if not permissions.can_choose_authors(editor, post if post.id is not None else None):
        raise Forbidden("Only the post's owner, editors and admins choose its authors.")
    if len(wanted) > COAUTHORS_MAX:
        raise Invalid.field("coauthors", f"Name at most {COAUTHORS_MAX} co-authors.")
    if not wanted:
        return []
    lowered = [n.lower() for n in wanted]
    found = {
        u.username.lower(): u
        for u in session.scalars(select(User).where(func.lower(User.username).in_(lowered)))
    }
    missing = [n for n in wanted if n.lower() not in found]
    if missing:
        raise Invalid.field("coauthors", f"No account is named {', '.join(missing)}.")
    chosen = [found[n] for n in lowered]
    readers = [u.username for u in chosen if not permissions.can_co_write(u)]
    if readers:
        raise Invalid.field("coauthors", f"Only writers can co-author: {', '.join(readers)}.")
    owner_id = post.author_id if post.author_id is not None else editor.id
    return [u for u in chosen if u.id != owner_id]


def write_coauthors(session: DbSession, post: Post, users: Sequence[User]) -> list[PostAuthor]:
    """Make ``users`` the co-authors of the (flushed) post, in order; not committed.
    Returns the rows written, with their accounts, for the post to show."""
    session.execute(delete(post_authors).where(post_authors.c.post_id == post.id))
    rows = [{"post_id": post.id, "user_id": u.id, "position": n} for n, u in enumerate(users)]
    if rows:
        session.execute(insert(post_authors), rows)
    return [PostAuthor(**row, user=user) for row, user in zip(rows, users, strict=True)]
