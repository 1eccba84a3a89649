"""Keyset pagination: cursors round-trip, tampered ones are 400s, pages end where rows end."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathwise_shared.pagination import decode_cursor, encode_cursor, page_of
from pathwise_shared.problems import BadRequest


@given(st.lists(st.text(max_size=40), min_size=1, max_size=3))
def test_cursor_round_trips(key: list[str]) -> None:
    assert decode_cursor(encode_cursor(*key), parts=len(key)) == key


@pytest.mark.parametrize(
    "cursor", ["", "!!!", "bm90IGpzb24", encode_cursor("a", "b"), "eyJhIjoxfQ"]
)
def test_bad_cursor_is_a_400(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor, parts=1)


def test_page_of_uses_the_extra_row_only_to_say_there_is_more() -> None:
    rows = list(range(11))
    page = page_of(rows, 10, key=lambda r: (r,), convert=str)
    assert page.items == [str(i) for i in range(10)]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor) == ["9"]
    last = page_of(rows[:5], 10, key=lambda r: (r,), convert=str)
    assert last.next_cursor is None
    assert page_of([], 10, key=lambda r: (r,), convert=str).items == []
