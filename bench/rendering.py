"""The "markdown" case of `make bench`: what rendering a post's body costs on save.

An ordinary 100 KB post (paragraphs with emphasis, links, code, a list and a table)
is rendered the way a save renders it (`markup.render_post`: one parse giving the
HTML and the excerpt), and so is each body of a corpus of pathological ones: 100 KB
of one unclosed opener repeated, the shapes that make Markdown parsers walk the rest
of a paragraph for every opener. Each is timed in CPU seconds, the best of a few
runs; the table shows each against the ordinary post, and the summary the worst.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from inkstand import markup

SIZE = 100_000  # characters: the longest body a post takes by default
RUNS = 3  # the best of these, in CPU time
# Openers repeated to fill a body: brackets of links, images and footnotes with no
# close, emphasis delimiters that pair with nothing, half links and references.
OPENERS = (
    "[", "![", "[^", "^[", "![[", "[!", "*[", "[[a]", "[a][", "[](", "[a](", "![a](b",
    "*_", "_*", "**a", "**_", "a_", "_a", "*a", "a*", "~~a", "`a", "&", "<", "<a",
)  # fmt: skip
_PARAGRAPH = (
    "Some *Markdown* text with a [link](https://example.com/page) and `inline code`, "
    "**strong words**, an ![image](/static/a.png) and a footnote[^n].\n\n"
    "- a list item with _emphasis_\n- another with ~~strikethrough~~\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
)


def ordinary_body() -> str:
    body = ""
    while len(body) < SIZE - 40:
        body += _PARAGRAPH
    return body + "[^n]: The note.\n"


def pathological(opener: str) -> str:
    return (opener * (SIZE // len(opener) + 1))[:SIZE]


@dataclass(frozen=True)
class Rendering:
    name: str
    cpu_s: float
    vs_ordinary: float


def _cpu(body: str) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        markup.render_post(body)
        best = min(best, time.process_time() - started)
    return best


def measure_markdown() -> list[Rendering]:
    """The ordinary post first, then each pathological body, worst first."""
    ordinary = _cpu(ordinary_body())
    rows = [Rendering(repr(opener), _cpu(pathological(opener)), 0.0) for opener in OPENERS]
    rows = [Rendering(r.name, r.cpu_s, r.cpu_s / ordinary) for r in rows]
    rows.sort(key=lambda r: r.vs_ordinary, reverse=True)
    return [Rendering("ordinary 100 KB post", ordinary, 1.0), *rows]


def markdown_lines(rows: list[Rendering]) -> list[str]:
    lines = ["", "Rendering a 100 KB body on save (CPU, best of 3)", f"{'body':<24}{'ms':>9}  vs"]
    lines += [f"{r.name:<24}{r.cpu_s * 1000:>9.0f}  {r.vs_ordinary:.1f}x" for r in rows]
    worst = rows[1]
    lines.append(
        f"Worst pathological body: {worst.name} repeated, {worst.vs_ordinary:.1f}x an ordinary "
        f"100 KB post ({worst.cpu_s * 1000:.0f} ms against {rows[0].cpu_s * 1000:.0f} ms)"
    )
    return lines
