"""The learners header a service adds for the gateway's audit: lines of bounded size, read back
in order, once each; what is not a UUID is skipped."""

import uuid

from pathwise_shared.answer_learners import PER_LINE, header_lines, parse_header_line


def test_lines_round_trip_in_order_once_each() -> None:
    learners = [uuid.uuid4() for _ in range(PER_LINE * 2 + 5)]
    lines = header_lines([*learners, learners[0]])
    assert len(lines) == 3
    assert all(len(line) < 8000 for line in lines)
    assert [u for line in lines for u in parse_header_line(line)] == learners


def test_no_learners_no_line_and_junk_is_skipped() -> None:
    assert header_lines([]) == []
    one = uuid.uuid4()
    assert parse_header_line(f" {one} ,not-a-uuid,,") == [one]
