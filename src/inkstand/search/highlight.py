"""Matched words marked in a post's stored text, for engines that leave it to us.

SQLite's own highlight() and snippet() re-run the whole query for each row shown,
which costs more than the search itself when a word is common; the words are known
here, so the text is marked in Python instead. Words compare as FTS5's unicode61
tokenizer (remove_diacritics 2) compares them: lower case, accents taken off.
"""

from __future__ import annotations

import re
import unicodedata

from inkstand.search.query import Query

Segments = tuple[tuple[str, bool], ...]
ELLIPSIS = "…"
SCANNED = 20_000  # characters of a body a snippet is looked for in
_WORD = re.compile(r"[^\W_]+")


def fold(word: str) -> str:
    lowered = word.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Matcher:
    """Which words of a text a query matched: its words whole, its prefix as a start."""

    def __init__(self, query: Query) -> None:
        self.whole = frozenset(fold(w) for t in query.required for w in t.words)
        self.starts = tuple(fold(t.words[-1]) for t in query.required if t.prefix)

    def words(self, text: str) -> list[tuple[int, int, bool]]:
        """Each word of ``text``: where it starts and ends, and whether it matched."""
        whole, starts = self.whole, self.starts
        found = []
        for match in _WORD.finditer(text):
            word = fold(match.group())
            hit = word in whole or (bool(starts) and word.startswith(starts))
            found.append((match.start(), match.end(), hit))
        return found


def _pieces(text: str, words: list[tuple[int, int, bool]], start: int, end: int) -> Segments:
    """``text[start:end]`` cut around its matched words."""
    pieces: list[tuple[str, bool]] = []
    at = start
    for begin, finish, hit in words:
        if not hit or begin < start or finish > end:
            continue
        if begin > at:
            pieces.append((text[at:begin], False))
        pieces.append((text[begin:finish], True))
        at = finish
    if end > at:
        pieces.append((text[at:end], False))
    return tuple(pieces)


def whole(text: str, query: Query) -> Segments:
    """All of ``text``, its matched words marked (a title)."""
    return _pieces(text, Matcher(query).words(text), 0, len(text))


def snippet(text: str, query: Query, size: int = 24) -> Segments:
    """About ``size`` words of ``text`` around the most matches, marked, with ellipses
    where the text goes on."""
    text = text[:SCANNED]
    words = Matcher(query).words(text)
    if len(words) <= size:
        return _pieces(text, words, 0, len(text))
    hits = [1 if hit else 0 for _, _, hit in words]
    score = running = sum(hits[:size])
    best = 0
    for first in range(1, len(words) - size + 1):
        running += hits[first + size - 1] - hits[first - 1]
        if running > score:
            best, score = first, running
    start, end = words[best][0], words[best + size - 1][1]
    pieces = _pieces(text, words, start, end)
    before = ((ELLIPSIS + " ", False),) if best > 0 else ()
    after = ((" " + ELLIPSIS, False),) if best + size < len(words) else ()
    return before + pieces + after
