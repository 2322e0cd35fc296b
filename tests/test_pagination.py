"""Keyset cursors round-trip exactly, whatever the date or the rank."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inkstand.pagination import BadCursor, Cursor, RankCursor, TextCursor

MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9000, 12, 31),
                       timezones=st.just(UTC))  # fmt: skip


@given(MOMENTS, st.integers(min_value=1, max_value=2**31 - 1))
def test_cursor_round_trips(at, post_id):
    assert Cursor.decode(Cursor(at, post_id).encode()) == Cursor(at, post_id)


@pytest.mark.parametrize("raw", ["x", "1-", "-1", "1-2-3", "9" * 19 + "-1", "1-" + "9" * 13])
def test_malformed_cursors_are_refused(raw):
    with pytest.raises(BadCursor):
        Cursor.decode(raw)


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(1, 2**31 - 1))
def test_rank_cursor_round_trips_the_exact_rank(rank, post_id):
    assert RankCursor.decode(RankCursor(rank, post_id).encode()) == RankCursor(rank, post_id)


@given(st.text(max_size=40))
def test_any_text_is_a_rank_cursor_or_refused(raw):
    try:
        cursor = RankCursor.decode(raw)
    except BadCursor:
        return
    assert cursor is None or RankCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "raw",
    [
        "x",
        "A" * 16,  # id 0
        RankCursor(float("nan"), 1).encode(),
        RankCursor(float("inf"), 1).encode(),
        RankCursor(1.0, 1).encode() + "=",
        "é" * 16,
    ],
)
def test_malformed_rank_cursors_are_refused(raw):
    with pytest.raises(BadCursor):
        RankCursor.decode(raw)


TITLES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 max_size=200)  # fmt: skip


@given(TITLES, st.integers(min_value=1, max_value=2**31 - 1))
def test_text_cursor_round_trips_any_title(title, post_id):
    raw = TextCursor(title, post_id).encode()
    assert raw.isascii()
    assert "=" not in raw
    assert TextCursor.decode(raw) == TextCursor(title, post_id)


@given(st.text(max_size=60))
def test_any_text_is_a_text_cursor_or_refused(raw):
    try:
        found = TextCursor.decode(raw)
    except BadCursor:
        return
    assert found is None or 0 < found.id <= 2**31 - 1


@pytest.mark.parametrize("raw", ["x", "MXg", "OnRpdGxl", "MDp0", "LTE6dA", "éé", "A" * 1500])
def test_malformed_text_cursors_are_refused(raw):
    with pytest.raises(BadCursor):
        TextCursor.decode(raw)
