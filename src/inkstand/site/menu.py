"""The header's navigation menu, kept as one site setting (a JSON list), so that drawing
it on every page costs no query beyond the settings every page reads already."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from inkstand import text

ITEMS_MAX = 20
LABEL_MAX = 60
URL_MAX = 1000


@dataclass(frozen=True)
class MenuItem:
    """A link of the menu: to a page of the site (``page_id``, its address and whether
    it is published kept here by the pages feature on every save), or to any address."""

    label: str
    url: str
    page_id: int | None = None
    shown: bool = True


def parse(raw: str) -> list[MenuItem]:
    """The stored menu; anything unreadable is no menu rather than a broken site."""
    try:
        rows = json.loads(raw or "[]")
    except ValueError:
        return []
    if not isinstance(rows, list):
        return []
    found = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        label, url, page_id = row.get("label"), row.get("url"), row.get("page_id")
        if not isinstance(label, str) or not isinstance(url, str):
            continue
        if page_id is not None and not isinstance(page_id, int):
            continue
        found.append(MenuItem(label, url, page_id, row.get("shown") is not False))
    return found


def dump(items: Sequence[MenuItem]) -> str:
    return json.dumps([asdict(item) for item in items], ensure_ascii=False)


def url_allowed(url: str) -> bool:
    """An address of this site (``/about``) or an absolute http(s) address with a host;
    never ``javascript:`` or a scheme-relative ``//host``."""
    if not url or len(url) > URL_MAX or text.CONTROL.search(url) or any(c.isspace() for c in url):
        return False
    if url.startswith("/"):
        return not url.startswith("//") and "\\" not in url
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def errors(items: Sequence[MenuItem]) -> list[str]:
    """What is wrong with a menu, as messages for the admin."""
    found = []
    if len(items) > ITEMS_MAX:
        found.append(f"The menu holds at most {ITEMS_MAX} links.")
    for item in items:
        label = text.clean(item.label)
        if not label or len(label) > LABEL_MAX or label != item.label:
            found.append(f"Give each link a label of at most {LABEL_MAX} characters.")
            break
    for item in items:
        if not url_allowed(item.url):
            found.append("Give an address of this site (/about) or one starting with https://.")
            break
    return found
