"""Ghost's JSON export (Settings → Labs → Export): posts and pages with their Markdown,
mobiledoc, Lexical or HTML, tags, authors and who wrote what.

Both shapes Ghost has written are read: ``{"db": [{"meta": ..., "data": ...}]}`` and a
bare ``{"meta": ..., "data": ...}``; times as milliseconds (Ghost 0.x) or ISO text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from inkstand.blog.models import Status
from inkstand.exceptions import Invalid
from inkstand.moving.importing import NO_DATE, Author, Entry, Importer

# Ghost's images are in its content/images folder, at __GHOST_URL__/content/images/... (or
# the site's address in place of __GHOST_URL__); a resized copy has size/w600/ (and
# format/webp/) before the original's path.
MARKER = "/content/images/"
SIZED = re.compile(r"^size/[^/]+/(?:format/[^/]+/)?")
FOLDER_NAME = "images folder"
NO_IMAGES = "featured image not kept: the import was not given the images folder (--images)"
NOT_LOCAL = "featured image {} not kept: it is not in Ghost's content/images"
PAGE_COVER = "featured image {} not kept: a page has no cover here"

# What Ghost writes in exported bodies in place of the site's own address, but before
# its files (content/images...), which are kept or noted as images (see MARKER).
OWN_LINK = re.compile(r"__GHOST_URL__(?!/content/)")

STATES = {
    "published": Status.PUBLISHED.value,
    "scheduled": Status.PUBLISHED.value,  # its time to come
    "sent": Status.PUBLISHED.value,  # a newsletter post, also on the site
    "draft": Status.DRAFT.value,
}


def _refuse(message: str) -> Invalid:
    return Invalid.field("file", message)


def _data(document: Any) -> dict[str, Any]:
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise _refuse('This is not a Ghost export: it has no "data".')
    data: dict[str, Any] = document["data"]
    for key in ("posts", "tags", "users", "posts_tags", "posts_authors", "posts_meta"):
        if not isinstance(data.get(key, []), list):
            raise _refuse(f'This Ghost export\'s "{key}" is not a list.')
    return data


def _date(value: Any) -> datetime | None:
    """A Ghost time (milliseconds or ISO 8601), or None when it is not one."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)
        if isinstance(value, str) and value.strip():
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mobiledoc_markdown(raw: str) -> str | None:
    """The Markdown of a mobiledoc made by Ghost's Markdown card, if it is one."""
    try:
        doc = json.loads(raw)
        cards = doc.get("cards", []) if isinstance(doc, dict) else []
        texts = [
            card[1].get("markdown") or card[1].get("cardMarkdown")
            for card in cards
            if isinstance(card, list) and len(card) == 2
            and card[0] in ("markdown", "card-markdown") and isinstance(card[1], dict)
        ]  # fmt: skip
    except (ValueError, AttributeError, TypeError):
        return None
    found = [t for t in texts if isinstance(t, str)]
    return "\n\n".join(found) if found and len(found) == len(cards) else None


def _lexical_markdown(raw: str) -> str | None:
    """Lexical's Markdown cards; other Lexical content is read from the post's html."""
    try:
        doc = json.loads(raw)
        children = doc["root"]["children"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(children, list) or not children:
        return None
    if all(isinstance(c, dict) and c.get("type") == "markdown" for c in children):
        return "\n\n".join(_text(c.get("markdown")) for c in children)
    return None


def _body(post: dict[str, Any]) -> tuple[str, str | None]:
    """The post's HTML, or its Markdown when Ghost kept Markdown, with Ghost's stand-in
    for the site's own address taken out of links to its pages: a link to another post
    (``__GHOST_URL__/slug/``) then leads to it here, through the redirect from its old
    address."""
    html, markdown = _source(post)
    return OWN_LINK.sub("", html), None if markdown is None else OWN_LINK.sub("", markdown)


def _source(post: dict[str, Any]) -> tuple[str, str | None]:
    markdown = _text(post.get("markdown")) or None
    if markdown is None and _text(post.get("mobiledoc")):
        markdown = _mobiledoc_markdown(post["mobiledoc"])
    if markdown is None and _text(post.get("lexical")):
        markdown = _lexical_markdown(post["lexical"])
    html = _text(post.get("html"))
    if markdown is None and not html and _text(post.get("plaintext")):
        markdown = post["plaintext"]
    return html, markdown


def read(
    source: IO[bytes], importer_for: Callable[[str], Importer], max_bytes: int,
    progress: Callable[[int], None] | None = None,
) -> Importer:  # fmt: skip
    """Import a Ghost export. Raises Invalid for a file that is not one (nothing written)."""
    raw = source.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise _refuse(f"The file is larger than {max_bytes:,} bytes.")
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _refuse("The file is not JSON.") from exc
    data = _data(document)
    importer = importer_for("ghost")
    users = {str(u.get("id")): u for u in data.get("users", []) if isinstance(u, dict)}
    for user_id, user in users.items():
        importer.author(
            Author(
                source_id=user_id, username=_text(user.get("slug")), email=_text(user.get("email")),
                display_name=_text(user.get("name")), bio=_text(user.get("bio")),
            )
        )  # fmt: skip
    tags = {
        str(t.get("id")): _text(t.get("name")) for t in data.get("tags", []) if isinstance(t, dict)
    }
    post_tags: dict[str, list[str]] = {}
    for link in sorted(
        (x for x in data.get("posts_tags", []) if isinstance(x, dict)),
        key=lambda x: x["sort_order"] if isinstance(x.get("sort_order"), int) else 0,
    ):
        name = tags.get(str(link.get("tag_id")), "")
        if name and not name.startswith("#"):  # "#name" is Ghost's internal tag
            post_tags.setdefault(str(link.get("post_id")), []).append(name)
    owners: dict[str, str] = {}
    for link in data.get("posts_authors", []):
        if isinstance(link, dict) and link.get("sort_order", 0) in (0, None):
            owners.setdefault(str(link.get("post_id")), str(link.get("author_id")))
    # Newer exports keep a post's feature image description and caption in posts_meta.
    metas = {str(m.get("post_id")): m for m in data.get("posts_meta", []) if isinstance(m, dict)}
    posts = [p for p in data.get("posts", []) if isinstance(p, dict)]
    for post in posts:
        _post(importer, post, post_tags, owners, metas.get(str(post.get("id")), {}))
        if progress is not None:
            progress(1)
    importer.commit()
    return importer


def _post(
    importer: Importer, post: dict[str, Any], tags: dict[str, list[str]], owners: dict[str, str],
    meta: dict[str, Any],
) -> None:  # fmt: skip
    post_id = str(post.get("id"))
    source_id = _text(post.get("uuid")) or post_id
    title = _text(post.get("title"))
    kind = "page" if post.get("type") == "page" or post.get("page") in (1, True) else "post"
    state = STATES.get(_text(post.get("status")))
    if state is None:
        importer.report.skip(kind, source_id, title[:200],
                             f"its state {str(post.get('status'))[:40]!r} is unknown")  # fmt: skip
        return
    published = _date(post.get("published_at"))
    if state == Status.PUBLISHED and published is None:
        importer.report.skip(kind, source_id, title[:200], NO_DATE)
        return
    html, markdown = _body(post)
    notes: list[str] = []
    if _text(post.get("visibility")) not in ("", "public"):
        notes.append(f"for {post['visibility'][:40]} only on Ghost: public here")
    author = owners.get(post_id) or str(post.get("author_id") or "")
    image = _text(post.get("feature_image")) or _text(post.get("image"))  # "image": Ghost 0.x
    cover = _cover(importer, kind, image.strip(), notes)
    importer.entry(
        Entry(
            source_id=source_id, kind=kind, title=title, status=state,
            published_at=published if state == Status.PUBLISHED else None,
            created_at=_date(post.get("created_at")), updated_at=_date(post.get("updated_at")),
            body_html=html, body_markdown=markdown, slug=_text(post.get("slug")),
            excerpt=_text(post.get("custom_excerpt")), author_id=author,
            tags=tags.get(post_id, []), featured=post.get("featured") in (1, True),
            old_path=f"/{_text(post.get('slug'))}/" if _text(post.get("slug")) else "", notes=notes,
            cover=cover, cover_alt=_meta(post, meta, "feature_image_alt"),
            cover_caption=_meta(post, meta, "feature_image_caption"),
        )
    )  # fmt: skip


def _meta(post: dict[str, Any], meta: dict[str, Any], key: str) -> str:
    """A field Ghost moved from the post to its posts_meta row: read in either place."""
    return _text(meta.get(key)) or _text(post.get(key))


def _cover(importer: Importer, kind: str, image: str, notes: list[str]) -> str:
    """The address of a post's feature image to keep as its cover, or "" and why not in
    ``notes``: a page (no cover here), no images folder, an image from elsewhere."""
    if not image:
        return ""
    if kind == "page":
        notes.append(PAGE_COVER.format(image[:200]))
    elif importer.uploads is None:
        notes.append(NO_IMAGES)
    elif MARKER not in image:
        notes.append(NOT_LOCAL.format(image[:200]))
    else:
        return image
    return ""
