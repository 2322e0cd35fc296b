"""What a person typed into the search box, read into a safe structure.

The engines never see the typed text: each builds its own query from a ``Query``,
whose words hold only letters and digits. Anything can be typed; the worst that
happens is a query with no words, which finds nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TEXT_MAX = 500  # characters read; the rest is ignored
TERMS_MAX = 12
WORD_MAX = 64
PREFIX_MIN = 3  # a shorter last word is matched whole: "a*" would match nearly everything

_SURROGATES = re.compile(r"[\ud800-\udfff]")
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (the closing quote optional), or a run of anything but space and quotes.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    """One word, or the words of a phrase in order; ``prefix`` matches the last word's start."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    required: tuple[Term, ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def empty(self) -> bool:
        """No word to look for: nothing matches (an exclusion alone finds nothing)."""
        return not self.required

    def words(self) -> list[str]:
        return [word for term in self.required for word in term.words]


def _words(text: str) -> tuple[str, ...]:
    return tuple(word[:WORD_MAX] for word in _WORD.findall(text))


def parse(text: str) -> Query:
    """Read typed text: words (all must match), "quoted phrases", -excluded words or
    phrases; the last word also matches as the start of a longer one. Case is folded
    here, accents by the engines. Punctuation inside a word makes a phrase of its
    parts ("e-mail" is "e mail"), as the engines read the posts."""
    text = _SURROGATES.sub("", unicodedata.normalize("NFC", _SURROGATES.sub("", text[:TEXT_MAX])))
    required: list[Term] = []
    excluded: list[Term] = []
    for match in _TOKEN.finditer(text.lower()):
        quoted = match[2] is not None
        minus, raw = (match[1], match[2]) if quoted else (match[3], match[4])
        words = _words(raw)
        if not words:
            continue
        (excluded if minus else required).append(Term(words))
    required = required[:TERMS_MAX]
    excluded = excluded[: TERMS_MAX - len(required)]
    if required and _bare_word(text) and len(required[-1].words[0]) >= PREFIX_MIN:
        required[-1] = Term(required[-1].words, prefix=True)
    return Query(tuple(required), tuple(excluded))


def _bare_word(text: str) -> bool:
    """Whether the text ends in a single unquoted, not excluded word."""
    last = None
    for match in _TOKEN.finditer(text.lower()):
        if _words(match[2] if match[2] is not None else match[4]):
            last = match
    return last is not None and last[2] is None and not last[3] and len(_words(last[4])) == 1
