"""The change feed's cursor and rules (domain/change_feed.py): no I/O."""

import base64
import json
import uuid

import pytest

from pathwise_profiles.domain.change_feed import (
    MAX_SEQ,
    OBJECT_TYPES,
    REPRESENTED,
    CursorError,
    decode_cursor,
    encode_cursor,
    href_of,
    operation_for,
)

A = uuid.UUID("01890000-0000-7000-8000-00000000000a")
B = uuid.UUID("01890000-0000-7000-8000-00000000000b")


def _raw(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("seq", [0, 1, 41, MAX_SEQ])
def test_a_cursor_round_trips_in_its_district(seq: int) -> None:
    cursor = encode_cursor(A, seq)
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor and "+" not in cursor
    position = decode_cursor(cursor, A)
    assert (position.district_id, position.seq) == (A, seq)
    # padding a client adds back is the same cursor
    assert decode_cursor(cursor + "=" * (-len(cursor) % 4), A).seq == seq


def test_a_cursor_of_another_district_is_told_apart_from_a_broken_one() -> None:
    with pytest.raises(CursorError) as caught:
        decode_cursor(encode_cursor(A, 5), B)
    assert caught.value.reason == "other_district"


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        "%%%",
        "x" * 201,
        "é" * 10,
        _raw({"seq": 1}),
        _raw(["c1", str(A)]),
        _raw(["c1", str(A), "1", "2"]),
        _raw(["c2", str(A), "1"]),
        _raw(["c1", "not-a-uuid", "1"]),
        _raw(["c1", str(A), 1]),
        _raw(["c1", str(A), "-1"]),
        _raw(["c1", str(A), "+1"]),
        _raw(["c1", str(A), " 1"]),
        _raw(["c1", str(A), "1_0"]),
        _raw(["c1", str(A), "01"]),
        _raw(["c1", str(A), "\u0661"]),
        _raw(["c1", str(A), str(MAX_SEQ + 1)]),
        _raw(["c1", str(A).upper(), "1"]),
        _raw(["c1", str(A), "1"]).replace("x", "y") + "A",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _raw([[[[[]]]]]),
    ],
)
def test_a_tampered_or_foreign_cursor_is_malformed(cursor: str) -> None:
    with pytest.raises(CursorError) as caught:
        decode_cursor(cursor, A)
    assert caught.value.reason == "malformed"


def test_a_json_spelled_other_than_ours_is_refused() -> None:
    # The same values with a space: one position, one spelling (a rewritten cursor is not ours).
    spaced = base64.urlsafe_b64encode(json.dumps(["c1", str(A), "3"]).encode()).decode()
    with pytest.raises(CursorError):
        decode_cursor(spaced.rstrip("="), A)


def test_operations_and_links() -> None:
    assert operation_for("tobedeleted") == "delete"
    assert operation_for("active") == "upsert"
    assert href_of("learner_profile", A) == f"/v1/learners/{A}/profile"
    assert href_of("guardian_link", A) == f"/v1/guardians/{A}"
    assert href_of("academic_session", A) == f"/v1/sessions/{A}"
    assert "learner_profile" not in REPRESENTED
    assert set(REPRESENTED) | {"learner_profile"} == set(OBJECT_TYPES)
