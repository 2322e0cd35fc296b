"""Imported HTML and text made safe: through the site's sanitiser first, then into the
Markdown every Inkstand post is written in, so an imported post is edited like any other."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import nh3

from inkstand import markup, text

_BLOCK = re.compile(
    r"^\s*<(?:p|div|h[1-6]|ul|ol|li|blockquote|pre|table|figure|hr|section|img|!--)", re.I
)
_TAG = re.compile(r"<[^>]*>")
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^\s<>()]+)")  # ![alt](address


def autop(source: str) -> str:
    """WordPress keeps paragraphs as blank lines (its ``wpautop`` adds the <p> on show):
    wrap each blank-line-separated run that is not already a block in <p>."""
    if "<p" in source.lower() and "\n\n" not in source:
        return source
    blocks = re.split(r"\n\s*\n", source.replace("\r\n", "\n"))
    out = []
    for block in blocks:
        if not block.strip():
            continue
        if _BLOCK.match(block):
            out.append(block)
        else:
            out.append("<p>" + block.strip().replace("\n", "<br>\n") + "</p>")
    return "\n\n".join(out)


def to_markdown(source_html: str, image_url: Callable[[str], str] | None = None) -> str:
    """Sanitised HTML as Markdown: scripts, styles, event handlers and unknown tags are gone
    before conversion. ``image_url`` may swap an image's address (an imported copy's)."""
    safe = markup.sanitize(source_html)
    if image_url is not None:
        safe = re.sub(
            r'(<img\b[^>]*\bsrc=")([^"]*)(")',
            lambda m: m.group(1) + html.escape(image_url(html.unescape(m.group(2)))) + m.group(3),
            safe,
        )
    # Imported here: markdownify brings BeautifulSoup, some 8 MB that a web process,
    # which never converts, would otherwise hold.
    from markdownify import markdownify

    converted = markdownify(safe, heading_style="ATX", bullets="-", escape_underscores=False)
    return text.clean(re.sub(r"\n{3,}", "\n\n", converted).strip())


def plain(value: str) -> str:
    """A title or name as plain text: tags (and what a script or style holds) dropped,
    entities read, control characters and runs of spaces gone."""
    stripped = nh3.clean(value, tags=set())
    return re.sub(r"\s+", " ", text.clean(html.unescape(stripped))).strip()


def image_sources(source_html: str) -> list[str]:
    """The addresses of the images a body shows, in order, each once."""
    found: list[str] = []
    for match in re.finditer(r'<img\b[^>]*?\bsrc\s*=\s*["\']([^"\']+)["\']', source_html, re.I):
        url = html.unescape(match.group(1))
        if url not in found:
            found.append(url)
    return found


def strip_tags(value: str) -> str:
    return _TAG.sub("", value)


def markdown_image_sources(source: str) -> list[str]:
    """The addresses of the images Markdown shows (``![alt](address)``, and ``<img>``
    written as HTML in it), in order, each once."""
    found = [m.group(1) for m in _MARKDOWN_IMAGE.finditer(source)]
    found += image_sources(source)
    return list(dict.fromkeys(found))


def swap_images(source: str, addresses: dict[str, str]) -> str:
    """Markdown with each image address of ``addresses`` swapped for its new one, where
    it stands whole (not as the start of a longer address)."""
    if not addresses:
        return source
    pattern = "|".join(re.escape(old) for old in sorted(addresses, key=len, reverse=True))
    return re.sub(f"({pattern})(?=[\\s)\"'>]|$)", lambda m: addresses[m.group(1)], source)
