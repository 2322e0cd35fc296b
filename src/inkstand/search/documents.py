"""What the index keeps of a post: its four fields as plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# Marks the engines put around matched words in highlights and snippets: private-use
# characters that the indexed text never holds (they are taken out of it), so that
# after the text is escaped they can become <mark> and nothing else can.
OPEN, CLOSE = "\ue000", "\ue001"
_UNINDEXED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Document:
    post_id: int
    title: str
    tags: str
    excerpt: str
    body: str

    def row(self) -> dict[str, int | str]:
        return {
            "post_id": self.post_id,
            "title": self.title,
            "tags": self.tags,
            "excerpt": self.excerpt,
            "body": self.body,
        }


class _Text(HTMLParser):
    """The text of sanitised HTML, each element's text apart from its neighbours'."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")


def plain(value: str) -> str:
    """Text fit for the index: no control characters, no marks, single spaces."""
    return _SPACE.sub(" ", _UNINDEXED.sub(" ", value)).strip()


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return plain("".join(parser.parts))


def document(post_id: int, title: str, tag_names: str, excerpt: str, body_html: str) -> Document:
    """A post as the index reads it: tags as words, the body as text without markup."""
    return Document(
        post_id=post_id,
        title=plain(title),
        tags=plain(tag_names.replace(",", " ")),
        excerpt=plain(excerpt),
        body=html_text(body_html),
    )
