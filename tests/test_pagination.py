"""Keyset cursors round-trip exactly, whatever the date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inkstand.pagination import BadCursor, Cursor

MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9000, 12, 31),
                       timezones=st.just(UTC))  # fmt: skip


@given(MOMENTS, st.integers(min_value=1, max_value=2**31 - 1))
def test_cursor_round_trips(at, post_id):
    assert Cursor.decode(Cursor(at, post_id).encode()) == Cursor(at, post_id)


@pytest.mark.parametrize("raw", ["x", "1-", "-1", "1-2-3", "9" * 19 + "-1", "1-" + "9" * 13])
def test_malformed_cursors_are_refused(raw):
    with pytest.raises(BadCursor):
        Cursor.decode(raw)
