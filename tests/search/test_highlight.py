"""Marking matched words in stored text (the SQLite engine's highlights)."""

from __future__ import annotations

import time

import pytest

from inkstand.search import highlight
from inkstand.search.query import parse


def _marked(pieces):
    return [text for text, matched in pieces if matched]


def test_words_are_matched_without_case_or_accents_and_the_prefix_as_a_start():
    pieces = highlight.whole("Le Café des Cafés, cafeteria", parse("CAFE caf"))
    assert _marked(pieces) == ["Café", "Cafés", "cafeteria"]
    assert "".join(text for text, _ in pieces) == "Le Café des Cafés, cafeteria"


def test_excluded_words_are_not_marked():
    assert _marked(highlight.whole("owls and bats", parse("owls -bats"))) == ["owls"]


def test_a_snippet_starts_a_little_before_the_first_match_with_ellipses():
    text = " ".join(["filler"] * 50 + ["gold", "nugget", "gold"] + ["filler"] * 50)
    pieces = highlight.snippet(text, parse("gold"), size=10)
    joined = "".join(t for t, _ in pieces)
    assert joined.startswith("…")
    assert joined.endswith("…")
    assert _marked(pieces) == ["gold", "gold"]
    assert joined.count("filler") <= 8


def test_a_short_text_is_the_snippet_whole():
    assert highlight.snippet("Just a few words", parse("few"), size=10) == (
        ("Just a ", False), ("few", True), (" words", False),
    )  # fmt: skip


def test_a_match_near_the_end_shows_the_words_before_it():
    text = " ".join(f"w{n}" for n in range(100)) + " gold."
    pieces = highlight.snippet(text, parse("gold"), size=10)
    joined = "".join(t for t, _ in pieces)
    assert joined == "… w91 w92 w93 w94 w95 w96 w97 w98 w99 gold"


@pytest.mark.parametrize(
    "text",
    [
        "a" * 20_000,
        "A cache without a budget grows until it evicts what matters. Give it a size, "
        "measure the hit rate, and let the database keep doing what it does well with gold.",
        "ab " * 7_000 + "gold",
        "gold " + "x" * 5_000,
        "gold" + "-" * 5_000,
        "é" * 10_000 + " gold " + "é" * 10_000,
    ],
)
def test_long_or_odd_texts_are_cut_in_linear_time(text):
    started = time.monotonic()
    highlight.snippet(text, parse("gold"))
    highlight.whole(text[:300], parse("gold"))
    assert time.monotonic() - started < 1.0
