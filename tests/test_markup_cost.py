"""What rendering a post costs is bounded by its size, whatever it holds: a save parses
the body once, and an unclosed "[" (of a link, an image, a footnote) no longer walks
the rest of its paragraph. Measured by the parser's own steps, never by time (the
times are `make bench`'s markdown case); and the bounds change no output, checked
against markdown-it as published on a corpus and on random Markdown."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it.parser_inline import ParserInline

from inkstand import markup
from inkstand.demo import PARAGRAPHS, SNIPPETS
from tests.helpers import Factory

SIZE = 20_000
# Openers with no "]" after them: each made markdown-it walk to the paragraph's end.
UNCLOSED = ("[", "![", "[^", "^[", "![[", "[!", "*[")
# Other shapes of many openers: linear already, kept in the output comparison.
OTHERS = ("[[a]", "[a][", "[](", "[a](", "![a](b", "*_", "_*", "**a", "a_", "~~a", "`a", "<a")
ORDINARY = [
    '# Title\n\nFirst *para* with a [link](https://example.com "t") and `code`.\n\n'
    "## Sub\n\n- one\n- two [ref][r] and [ref]\n\n[r]: /target\n[ref]: /other\n",
    "![alt](/static/a.png) text[^1] and ^[an inline note] and [^missing].\n\n[^1]: The note.\n",
    "| a | b |\n|:-|-:|\n| [x](y) | ![i](j) |\n\n> quote with [brackets] and [not a link\n",
    "```python\nx = [1, 2]\nprint(x[0])\n```\n\nText with \\[escaped] and <https://auto.link>.",
    "Nested [link [with] brackets](/u) and [a ![b](c) d](e) and **[strong](f)** ~~[s](t)~~.",
    "Unclosed [at the end of a paragraph\n\nand ] a close in the next one.",
    *PARAGRAPHS,
    *(f"```{language}\n{code}\n```" for language, code in SNIPPETS.items()),
]


def repeated(opener: str, size: int = SIZE) -> str:
    return (opener * (size // len(opener) + 1))[:size]


def published_render(source: str) -> str:
    """The HTML markdown-it as published gives, configured as Inkstand's renderer."""
    return markup._markdown(bounded=False).render(source, {"srcsets": {}})


def bounded_render(source: str) -> str:
    return markup._markdown().render(source, {"srcsets": {}})


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the inline parser skips over a token to look ahead: the walk an
    unclosed opener costs."""
    count = [0]
    skip = ParserInline.skipToken

    def counted(self: ParserInline, state: Any) -> None:
        count[0] += 1
        skip(self, state)

    monkeypatch.setattr(ParserInline, "skipToken", counted)
    return count


@pytest.mark.parametrize("opener", UNCLOSED)
def test_an_unclosed_opener_walks_nothing(walks: list[int], opener: str) -> None:
    body = repeated(opener)
    markup._markdown(bounded=False).parse(body)
    assert walks[0] >= 10 * len(body)  # markdown-it as published: ten steps a character
    walks[0] = 0
    markup.render_post(body)
    assert walks[0] == 0


@pytest.mark.parametrize("opener", UNCLOSED + OTHERS)
def test_no_body_walks_more_than_the_nesting_limit_per_character(
    walks: list[int], opener: str
) -> None:
    body = repeated(opener)
    markup.render_post(body)
    assert walks[0] <= markup._markdown().options["maxNesting"] * len(body)


def test_a_save_parses_the_body_once(
    factory: Factory, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = factory.user("author")
    renderer = markup._markdown()
    parses: list[str] = []
    parse = renderer.parse
    monkeypatch.setattr(
        renderer, "parse", lambda src, env=None: parses.append(src) or parse(src, env)
    )
    post = factory.post(author, body="First *paragraph*.\n\nSecond.")
    assert parses == ["First *paragraph*.\n\nSecond."]
    assert post.excerpt == "First paragraph."
    assert "<em>paragraph</em>" in post.body_html


@pytest.mark.parametrize("source", ORDINARY + [repeated(o, 300) for o in UNCLOSED + OTHERS])
def test_the_bounds_change_no_output(source: str) -> None:
    assert bounded_render(source) == published_render(source)


MARKDOWN = st.text(alphabet="[]()!^*_`~<>\\:#-| a1\n", max_size=200)


@settings(max_examples=300, deadline=None)
@given(source=MARKDOWN)
def test_the_bounds_change_no_output_of_random_markdown(source: str) -> None:
    assert bounded_render(source) == published_render(source)


@given(source=MARKDOWN)
def test_the_excerpt_of_a_save_is_the_first_paragraphs(source: str) -> None:
    assert markup.render_post(source).excerpt == markup.excerpt_from(source)
