"""Reading what a person typed into a search."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inkstand.search.engines import fts_query
from inkstand.search.query import TERMS_MAX, Query, Term, parse


@pytest.mark.parametrize(
    ("text", "required", "excluded"),
    [
        ("cats dogs", [Term(("cats",)), Term(("dogs",), prefix=True)], []),
        ('"black cat" dog', [Term(("black", "cat")), Term(("dog",), prefix=True)], []),
        ('dog "black cat', [Term(("dog",)), Term(("black", "cat"))], []),  # quote left open
        ("dog -cat", [Term(("dog",))], [Term(("cat",))]),
        ('dog -"black cat"', [Term(("dog",))], [Term(("black", "cat"))]),
        ("E-Mail", [Term(("e", "mail"))], []),  # punctuation inside a word: a phrase
        ("Ab", [Term(("ab",))], []),  # too short to match as a prefix
        ("NEAR(a b)", [Term(("near", "a")), Term(("b",))], []),
        ("title:x OR y*", [Term(("title", "x")), Term(("or",)), Term(("y",))], []),
        ("- -- ( ) * ^", [], []),
        ("\x00\ud800", [], []),
    ],
)
def test_parse(text, required, excluded):
    assert parse(text) == Query(tuple(required), tuple(excluded))


def test_terms_are_capped():
    assert len(parse(" ".join(f"w{n}" for n in range(50))).required) == TERMS_MAX


def test_the_fts5_query_quotes_every_term():
    query = parse('cats "black dog" -mice -"grey rat" hou')
    assert fts_query(query) == ('("cats" AND "black dog" AND "hou"*) NOT ("mice" OR "grey rat")')


@given(st.text(max_size=200))
def test_every_word_holds_only_letters_and_digits(text):
    query = parse(text)
    for term in (*query.required, *query.excluded):
        assert term.words
        assert all(word.isalnum() for word in term.words)
