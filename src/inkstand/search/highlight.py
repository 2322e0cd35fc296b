"""Matched words marked in a post's stored text, for engines that leave it to us.

SQLite's own highlight() and snippet() re-run the whole query for each row shown,
which costs more than the search itself when a word is common; the words are known
here, so the text is marked in Python instead. Words compare as FTS5's unicode61
tokenizer (remove_diacritics 2) compares them: lower case, accents taken off. The
text is folded character for character, so a match in the folded text is at the
same place in the text.
"""

from __future__ import annotations

import re
import unicodedata

from inkstand.search.query import Query

Segments = tuple[tuple[str, bool], ...]
ELLIPSIS = "…"
SCANNED = 20_000  # characters of a body a snippet is looked for in
_WORD = re.compile(r"[^\W_]")
_BEFORE = re.compile(r"(?:[^\W_]+[\W_]+){0,4}\Z")  # up to four words before a match


class _Folding(dict[int, str]):
    """A str.translate table, filled as characters are met: each to its lower-case,
    accentless self when that is one character, else to itself."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        lowered = char.lower()
        if len(lowered) == 1:
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)
            )
            char = bare if len(bare) == 1 else lowered
        self[code] = char
        return char


_FOLDING = _Folding()


def fold(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_FOLDING)


def _pattern(query: Query) -> re.Pattern[str] | None:
    """The query's words (the prefix as a start) as whole words of folded text."""
    words = {fold(w) for t in query.required for w in t.words if not t.prefix}
    starts = {fold(t.words[-1]) for t in query.required if t.prefix}
    choices = [re.escape(w) for w in sorted(words, key=len, reverse=True)]
    choices += [re.escape(s) + r"[^\W_]*" for s in starts]
    if not choices:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(choices) + r")(?![^\W_])")


def _marked(
    text: str, folded: str, pattern: re.Pattern[str] | None, start: int, end: int
) -> Segments:
    """``text[start:end]`` cut around its matched words, found in ``folded``."""
    pieces: list[tuple[str, bool]] = []
    at = start
    if pattern is not None:
        for match in pattern.finditer(folded, start, end):
            if match.start() > at:
                pieces.append((text[at : match.start()], False))
            pieces.append((text[match.start() : match.end()], True))
            at = match.end()
    if end > at:
        pieces.append((text[at:end], False))
    return tuple(pieces)


def whole(text: str, query: Query) -> Segments:
    """All of ``text``, its matched words marked (a title)."""
    return _marked(text, fold(text), _pattern(query), 0, len(text))


def snippet(text: str, query: Query, size: int = 24) -> Segments:
    """About ``size`` words of ``text`` from a little before its first match (from its
    start without one; its last words if it ends sooner), marked, with ellipses where
    the text goes on."""
    text = text[:SCANNED]
    pattern, folded = _pattern(query), fold(text)
    first = pattern.search(folded) if pattern is not None else None
    start = 0
    if first is not None:
        head = text[max(0, first.start() - 200) : first.start()]
        words_before = _BEFORE.search(head)  # it matches at the end, if nothing before
        start = first.start() - len(head) + (words_before.start() if words_before else len(head))
    # Words and the separators between them, each separator required: a pattern in
    # which a word could split into several would backtrack exponentially.
    ahead = re.compile(rf"[\W_]*[^\W_]+(?:[\W_]+[^\W_]+){{0,{size - 1}}}").match(text, start)
    end = ahead.end() if ahead is not None else len(text)
    more = _WORD.search(text, end) is not None
    if not more and start > 0:  # the text ends first: show its last words instead
        tail = text[max(0, len(text) - 40 * size) :]
        last = re.compile(rf"(?:[^\W_]+[\W_]+){{0,{size - 1}}}[^\W_]+[\W_]*\Z").search(tail)
        if last is not None:
            start = min(start, len(text) - len(tail) + last.start())
    pieces = _marked(text, folded, pattern, start, end)
    before = ((ELLIPSIS + " ", False),) if start > 0 else ()
    after = ((" " + ELLIPSIS, False),) if more else ()
    return before + pieces + after
