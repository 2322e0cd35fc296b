"""Markdown to safe HTML, done once when a post or a comment is saved."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

WORDS_PER_MINUTE = 230
EXCERPT_MAX = 280  # characters of a post's first paragraph kept as its excerpt

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "section", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "srcset", "sizes"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "section": {"class"},
    "sup": {"class", "id"},
    "li": {"id"},
    "td": {"class"},
    "th": {"class"},
    "ol": {"start"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
# srcset and sizes are kept only as the renderer writes them: every candidate an
# uploaded image's variant (/media/<sha256>[-<width>].<type> <width>w), one sizes.
_MEDIA_CANDIDATE = r"/media/[0-9a-f]{64}(?:-[0-9]{1,5})?\.(?:jpg|png|webp|gif) [0-9]{1,5}w"
_SRCSET = re.compile(rf"{_MEDIA_CANDIDATE}(?:, {_MEDIA_CANDIDATE})*")
IMAGE_SIZES = "(max-width: 42rem) 100vw, 42rem"
# Comments: emphasis, links, code, quotes and lists; no headings, images, tables or HTML.
_COMMENT_TAGS = {
    "a", "blockquote", "br", "code", "em", "li", "ol", "p", "pre", "s", "span", "strong", "ul",
}  # fmt: skip
_COMMENT_ATTRIBUTES = {
    "a": {"href"},
    "code": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "ol": {"start"},
}
_COMMENT_RULES = [
    "emphasis", "strikethrough", "link", "reference", "autolink", "backticks", "fence", "code",
    "blockquote", "list", "newline", "escape", "entity",
]  # fmt: skip
_FORMATTER = HtmlFormatter(nowrap=True)
# Table alignment arrives as a style attribute, which the CSP forbids: use a class.
_ALIGN_STYLE = re.compile(r' style="text-align:(left|right|center)"')


def _highlight(code: str, language: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language.strip() or "text")
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    return str(highlight(code, lexer, _FORMATTER))


def _demote_headings(state: StateCore) -> None:
    """The post's title is the page's only h1: the body's top heading level becomes
    h2 and the others keep their distance from it, so no level is skipped."""
    headings = [t for t in state.tokens if t.type in {"heading_open", "heading_close"}]
    if not headings:
        return
    shift = 2 - min(int(t.tag[1]) for t in headings)
    for token in headings:
        token.tag = f"h{min(6, int(token.tag[1]) + shift)}"


# Inline rules that need a "]" after their opener: a link or an image's text, a
# footnote reference, an inline footnote.
_BRACKETED_RULES = ("link", "image", "footnote_ref", "footnote_inline")
_LAST_CLOSE = "inkstand_last_close"  # the parse's env: (a paragraph, where its last "]" is)
InlineRule = Callable[[StateInline, bool], bool]


def _needs_a_close(rule: InlineRule) -> InlineRule:
    """``rule``, answering at once that nothing matches when no "]" follows.

    Without it each unclosed "[" walks the rest of its paragraph token by token to
    find none, and a body of "[", "![" or "[^" repeated costs many times an ordinary
    one. The last "]" of the paragraph is found once (kept in the parse's env)."""

    def bounded(state: StateInline, silent: bool) -> bool:
        last = state.env.get(_LAST_CLOSE)
        if last is None or last[0] is not state.src:
            last = state.env[_LAST_CLOSE] = (state.src, state.src.rfind("]"))
        if last[1] <= state.pos:
            return False
        return rule(state, silent)

    return bounded


@lru_cache(maxsize=2)
def _markdown(bounded: bool = True) -> MarkdownIt:
    """The post renderer; ``bounded=False`` is markdown-it as published, which the tests
    compare against (the bounds change no output)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    if bounded:
        rules = {rule.name: rule.fn for rule in md.inline.ruler.__rules__}
        for name in _BRACKETED_RULES:
            md.inline.ruler.at(name, _needs_a_close(rules[name]))
    md.core.ruler.push("demote_headings", _demote_headings)

    def image(self: RendererHTML, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        """An image with smaller variants (``env["srcsets"]``, by address) offers them."""
        srcset = (env.get("srcsets") or {}).get(tokens[idx].attrGet("src"))
        if srcset:
            tokens[idx].attrSet("srcset", srcset)
            tokens[idx].attrSet("sizes", IMAGE_SIZES)
        return self.image(tokens, idx, options, env)

    md.add_render_rule("image", image)
    return md


@lru_cache(maxsize=1)
def _comment_markdown() -> MarkdownIt:
    # A line break in a comment is a line break, as people expect in a comment box.
    options = {"html": False, "linkify": False, "breaks": True, "highlight": _highlight}
    md = MarkdownIt("zero", options)
    md.enable(_COMMENT_RULES)
    return md


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "srcset":
        return value if _SRCSET.fullmatch(value) else None
    if tag == "img" and attribute == "sizes":
        return value if value == IMAGE_SIZES else None
    return value


def sanitize(html: str) -> str:
    """Keep only the tags, attributes and URL schemes Inkstand ever produces."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_keep_attribute,
    )


@dataclass(frozen=True)
class Rendered:
    """What one parse of a post's body gives: its safe HTML and its excerpt (the first
    paragraph as plain text, cut at a word)."""

    html: str
    excerpt: str


def render_post(source: str, srcsets: Mapping[str, str] | None = None) -> Rendered:
    """Parse a post's Markdown once (CommonMark, tables, strikethrough, footnotes, code)
    into safe HTML and its excerpt. ``srcsets`` maps an uploaded image's address to the
    ``srcset`` its <img> gets."""
    md = _markdown()
    env = {"srcsets": dict(srcsets or {})}
    tokens = md.parse(source, env)
    rendered = md.renderer.render(tokens, md.options, env)
    html = sanitize(_ALIGN_STYLE.sub(r' class="align-\1"', rendered))
    return Rendered(html, _first_paragraph(tokens, EXCERPT_MAX))


def render_markdown(source: str, srcsets: Mapping[str, str] | None = None) -> str:
    """A post body's safe HTML (see render_post)."""
    return render_post(source, srcsets).html


def render_comment(source: str) -> str:
    """Render a comment's small Markdown subset to safe HTML; its links are marked
    as user content that search engines should not credit (rel="nofollow ugc")."""
    return nh3.clean(
        _comment_markdown().render(source),
        tags=_COMMENT_TAGS,
        attributes=_COMMENT_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow ugc noopener",
    )


_SPACE = re.compile(r"\s+")


def excerpt_from(source: str, limit: int = EXCERPT_MAX) -> str:
    """The first paragraph of a Markdown body as plain text, cut at a word."""
    return _first_paragraph(_markdown().parse(source), limit)


def _first_paragraph(tokens: list[Token], limit: int) -> str:
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            text = _plain_inline(tokens[index + 1].children or [])
            if text:
                return shorten(text, limit)
    return ""


def _plain_inline(children: list[Token]) -> str:
    parts = [child.content for child in children if child.type in {"text", "code_inline"}]
    return _SPACE.sub(" ", "".join(parts)).strip()


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():  # do not end on half a word
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def reading_minutes(source: str) -> int:
    return max(1, math.ceil(len(source.split()) / WORDS_PER_MINUTE))


def highlight_css() -> str:
    """The stylesheet for highlighted code, light and dark."""
    light = HtmlFormatter(style="default").get_style_defs(".prose pre")
    dark = HtmlFormatter(style="monokai").get_style_defs(".prose pre")
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
