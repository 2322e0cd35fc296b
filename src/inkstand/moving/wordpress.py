"""WordPress's export (WXR: RSS 2.0 with the wp: elements) read as a stream.

``defusedxml`` refuses a document type, entities and external references (so no XXE and
no billion laughs); ``iterparse`` hands over each element as it ends and each item is
dropped once read, so a file of any size is read in the memory of one item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from inkstand.blog.models import Status
from inkstand.comments.models import CommentStatus
from inkstand.exceptions import Invalid
from inkstand.moving.importing import (
    COVER_TEXT_READ,
    NO_DATE,
    Author,
    CommentItem,
    Entry,
    Importer,
)

# What a WordPress state becomes; anything else is skipped with its name.
STATES = {
    "publish": Status.PUBLISHED.value,
    "future": Status.PUBLISHED.value,  # its time to come: scheduled
    "draft": Status.DRAFT.value,
    "pending": Status.DRAFT.value,
    "private": Status.DRAFT.value,
    "auto-draft": None,
    "trash": None,
    "inherit": None,
}
STATE_NOTES = {
    "pending": "pending review on WordPress: kept as a draft",
    "private": "private on WordPress: kept as a draft, which only its writers and editors see",
}
COMMENT_STATES = {
    "1": CommentStatus.APPROVED.value,
    "0": CommentStatus.PENDING.value,
    "spam": CommentStatus.SPAM.value,
    "trash": "deleted",
}
TYPES = {"post", "page"}
_NO_DATE = "0000-00-00 00:00:00"
NO_UPLOADS = "featured image not kept: the import was not given the uploads folder (--uploads)"


@dataclass(frozen=True)
class Attachment:
    """An image a post may feature: its file, its alt text and its caption, each cut to
    what a cover keeps."""

    file: str
    alt: str = ""
    caption: str = ""


@dataclass
class Covers:
    """Featured images (``_thumbnail_id``) met while reading: each attachment, and the
    posts waiting for an attachment that comes later in the file."""

    files: dict[str, Attachment] = field(default_factory=dict)  # attachment id -> it
    waiting: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # -> posts

    def attachment(self, importer: Importer, attachment_id: str, found: Attachment) -> None:
        """An attachment, kept (a short path and text per attachment) only when covers
        can be made of them: with the uploads folder."""
        if not attachment_id or not found.file or importer.uploads is None:
            return
        self.files[attachment_id] = found
        for source_id, title in self.waiting.pop(attachment_id, []):
            importer.late_cover(source_id, title, found.file, found.alt, found.caption)

    def missing(self, importer: Importer) -> None:
        for attachment_id, waiting in self.waiting.items():
            for source_id, title in waiting:
                why = f"featured image not kept: attachment {attachment_id[:40]} not in the export"
                importer.report.note("post", source_id, title, why)


def _local(tag: str) -> str:
    """``{namespace}name`` as ``prefix:name`` for the namespaces WXR uses."""
    if not tag.startswith("{"):
        return tag
    namespace, name = tag[1:].split("}", 1)
    if "wordpress.org/export" in namespace:
        return ("excerpt:" if namespace.endswith("/excerpt/") else "wp:") + name
    if "purl.org/rss/1.0/modules/content" in namespace:
        return "content:" + name
    if "purl.org/dc/elements" in namespace:
        return "dc:" + name
    return name


def _fields(element: Element) -> dict[str, str]:
    return {_local(child.tag): child.text or "" for child in element}


def _date(gmt: str, local: str = "", rfc822: str = "") -> datetime | None:
    """A WordPress time: its GMT column, else its local one read as UTC, else pubDate;
    None when none of them is a date."""
    for value in (gmt, local):
        value = value.strip()
        if value and value != _NO_DATE:
            try:
                return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            except ValueError:
                continue
    if rfc822.strip():
        try:
            parsed = parsedate_to_datetime(rfc822.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if parsed is not None and parsed.tzinfo is not None and parsed.year > 1:
            return parsed.astimezone(UTC)
    return None


class CountingReader:
    """A file whose reads are counted, for a progress bar of the bytes read."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


def _events(source: IO[bytes]) -> Iterator[tuple[str, Element]]:
    try:
        yield from iterparse(source, events=("start", "end"), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise Invalid.field(
            "file", f"The file was refused: it declares a document type or entities "
                    f"({type(exc).__name__}), which WordPress exports never do."
        ) from exc  # fmt: skip
    except ParseError as exc:
        raise Invalid.field("file", f"The file is not well-formed XML: {exc}.") from exc


def read(
    source: IO[bytes], importer_for: Callable[[str], Importer],
    progress: Callable[[int], None] | None = None,
) -> Importer:  # fmt: skip
    """Import a WXR file: authors as they come, then each item. ``importer_for`` gets the
    source key (the site's address) once it is known. Raises Invalid for a file that is
    not a WordPress export; items already written by then stay (each is whole)."""
    importer: Importer | None = None
    channel: Element | None = None
    depth = 0
    site = ""
    seen_rss = False
    logins: dict[str, str] = {}  # WordPress user id -> login, for comments
    covers = Covers()
    for event, element in _events(CountingReader(source, progress)):  # type: ignore[arg-type]
        name = _local(element.tag)
        if event == "start":
            depth += 1
            if depth == 1:
                if name != "rss":
                    raise Invalid.field("file", "This is not a WordPress export (no <rss>).")
                seen_rss = True
            elif name == "channel" and depth == 2:
                channel = element
            continue
        depth -= 1
        if channel is None or depth != 2:
            continue
        if name in ("wp:base_site_url", "wp:base_blog_url") and not site:
            site = (element.text or "").strip()
        elif name in ("wp:author", "item"):
            if importer is None:
                importer = importer_for(f"wordpress:{site}")
            if name == "wp:author":
                fields = _fields(element)
                logins[fields.get("wp:author_id", "").strip()] = fields.get("wp:author_login", "")
                importer.author(_author(fields))
            else:
                _item(importer, element, site, logins, covers)
        if name in ("wp:author", "item", "wp:category", "wp:tag", "wp:term"):
            channel.remove(element)  # read: let it go
    if not seen_rss or channel is None:
        raise Invalid.field("file", "This is not a WordPress export (no <channel>).")
    if importer is None:
        importer = importer_for(f"wordpress:{site}")
    covers.missing(importer)
    importer.commit()
    return importer


def _author(fields: dict[str, str]) -> Author:
    login = fields.get("wp:author_login", "").strip()
    names = " ".join(
        n
        for n in (fields.get("wp:author_first_name", ""), fields.get("wp:author_last_name", ""))
        if n
    )
    return Author(
        source_id=login or fields.get("wp:author_id", ""),
        username=login, email=fields.get("wp:author_email", ""),
        display_name=fields.get("wp:author_display_name", "") or names,
    )  # fmt: skip


def _path(link: str, site: str) -> str:
    """The path of an old permalink on the old site (its query kept: ``/?p=12``)."""
    parts = urlsplit(link.strip())
    if not parts.path and not parts.query:
        return ""
    if site and not link.startswith(site.rstrip("/")) and parts.netloc:
        old = urlsplit(site)
        if old.netloc and old.netloc != parts.netloc:
            return ""
    path = unquote(parts.path) or "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _item(
    importer: Importer, element: Element, site: str, logins: dict[str, str], covers: Covers
) -> None:
    fields: dict[str, str] = {}
    meta: dict[str, str] = {}
    tags: list[str] = []
    comments: list[CommentItem] = []
    for child in element:
        name = _local(child.tag)
        if name == "category":
            label = (child.text or "").strip()
            kept = child.get("domain") in ("category", "post_tag")
            if label and kept and child.get("nicename", "") != "uncategorized":
                tags.append(label)
        elif name == "wp:comment":
            comment = _comment(_fields(child), logins)
            if comment is not None:
                comments.append(comment)
        elif name == "wp:postmeta":
            found = _fields(child)
            meta[found.get("wp:meta_key", "").strip()] = found.get("wp:meta_value", "").strip()
        else:
            fields[name] = child.text or ""
    source_id = fields.get("wp:post_id", "").strip() or fields.get("guid", "").strip()
    title = fields.get("title", "")
    kind = fields.get("wp:post_type", "post")
    if kind not in TYPES:
        reason = "not a post or a page" + (
            ": images are kept where a post shows them or features them (--uploads)"
            if kind == "attachment" else ""
        )  # fmt: skip
        importer.report.ignore(kind, reason)
        if kind == "attachment":
            covers.attachment(importer, fields.get("wp:post_id", "").strip(), _attachment(
                meta.get("_wp_attached_file") or fields.get("wp:attachment_url", ""),
                meta.get("_wp_attachment_image_alt", ""), fields.get("excerpt:encoded", ""),
            ))  # fmt: skip
        return
    if not source_id:
        importer.report.skip(kind, "", title[:200], "it has no id (wp:post_id or guid)")
        return
    wp_state = fields.get("wp:status", "").strip()
    state = STATES.get(wp_state, "unknown")
    if state is None or state == "unknown":
        reason = (f"its state {wp_state[:40]!r} is not one Inkstand keeps" if state is None
                  else f"its state {wp_state[:40]!r} is unknown")  # fmt: skip
        importer.report.skip(kind, source_id, title[:200], reason)
        return
    published = _date(fields.get("wp:post_date_gmt", ""), fields.get("wp:post_date", ""),
                      fields.get("pubDate", ""))  # fmt: skip
    notes = [STATE_NOTES[wp_state]] if wp_state in STATE_NOTES else []
    if state == Status.PUBLISHED and published is None:
        importer.report.skip(kind, source_id, title[:200], NO_DATE)
        return
    thumbnail = meta.get("_thumbnail_id", "") if kind == "post" else ""
    cover = Attachment("")
    if thumbnail and importer.uploads is None:
        notes.append(NO_UPLOADS)
    elif thumbnail and thumbnail in covers.files:
        cover = covers.files[thumbnail]
    elif thumbnail:
        covers.waiting.setdefault(thumbnail, []).append((source_id, title[:200]))
    when = published if state == Status.PUBLISHED else None
    importer.entry(
        Entry(
            source_id=source_id, kind=kind, title=title, status=state, published_at=when,
            created_at=published, updated_at=published,
            body_html=fields.get("content:encoded", ""),
            slug=unquote(fields.get("wp:post_name", "")),
            excerpt=fields.get("excerpt:encoded", ""),
            author_id=fields.get("dc:creator", "").strip(),
            tags=tags, comments=comments, old_path=_path(fields.get("link", ""), site),
            featured=fields.get("wp:is_sticky", "0").strip() == "1", notes=notes, cover=cover.file,
            cover_alt=cover.alt, cover_caption=cover.caption,
        )
    )  # fmt: skip


def _attachment(file: str, alt: str, caption: str) -> Attachment:
    """An attachment as a cover would keep it; its text is cut here already, so that an
    export of many long captions is not held whole while it is read."""
    return Attachment(file, alt[:COVER_TEXT_READ], caption[:COVER_TEXT_READ])


def _comment(fields: dict[str, str], logins: dict[str, str]) -> CommentItem | None:
    kind = fields.get("wp:comment_type", "").strip()
    if kind in ("pingback", "trackback"):
        return None
    state = COMMENT_STATES.get(fields.get("wp:comment_approved", "").strip(), "pending")
    parent = fields.get("wp:comment_parent", "0").strip()
    user = fields.get("wp:comment_user_id", "0").strip()
    return CommentItem(
        source_id=fields.get("wp:comment_id", "").strip(),
        body_html=fields.get("wp:comment_content", ""), status=state,
        created_at=_date(fields.get("wp:comment_date_gmt", ""), fields.get("wp:comment_date", "")),
        parent_id="" if parent in ("", "0") else parent,
        author_id=logins.get(user, ""),
        author_name=fields.get("wp:comment_author", ""),
        author_email=fields.get("wp:comment_author_email", ""),
    )  # fmt: skip
