"""The pure rules of goals and reflections: co-sign, completion, who reads reflections, the
latest confidence per skill."""

import uuid
from datetime import UTC, datetime

import pytest

from pathwise_profiles.domain.goals import clears_co_sign, completes, status_after_progress
from pathwise_profiles.domain.reflections import (
    latest_confidence,
    may_read_reflections,
    target_kind_of,
)


def test_only_a_learners_edit_of_what_was_signed_clears_the_co_sign() -> None:
    assert clears_co_sign(by_student=True, co_signed=True, changed=["title"])
    assert clears_co_sign(by_student=True, co_signed=True, changed=["why", "target_date"])
    assert clears_co_sign(by_student=True, co_signed=True, changed=["skill_codes"])
    assert not clears_co_sign(by_student=True, co_signed=True, changed=["why", "status"])
    assert not clears_co_sign(by_student=False, co_signed=True, changed=["title"])
    assert not clears_co_sign(by_student=True, co_signed=False, changed=["title"])


def test_a_completion_is_the_status_becoming_achieved() -> None:
    assert completes("active", "achieved") and completes("paused", "achieved")
    assert not completes("achieved", "achieved")
    assert not completes("active", "dropped")


def test_mastery_achieves_only_active_goals() -> None:
    assert status_after_progress("active", 1.0) == "achieved"
    assert status_after_progress("active", 0.99) == "active"
    assert status_after_progress("paused", 1.0) == "paused"
    assert status_after_progress("dropped", 1.0) == "dropped"
    assert status_after_progress("achieved", 0.5) == "achieved"


def test_exactly_one_target() -> None:
    assert target_kind_of(step_id=None, skill_code="3.NF.A.1", goal_id=None) == "skill"
    assert target_kind_of(step_id=uuid.uuid4(), skill_code=None, goal_id=None) == "step"
    assert target_kind_of(step_id=None, skill_code=None, goal_id=uuid.uuid4()) == "goal"
    assert target_kind_of(step_id=None, skill_code=None, goal_id=None) is None
    assert target_kind_of(step_id=uuid.uuid4(), skill_code="3.NF.A.1", goal_id=None) is None


@pytest.mark.parametrize(
    ("reader", "sharing", "may_hide", "reads"),
    [
        ("student", {}, False, True),
        ("admin", {"reflections": {"teachers": False}}, True, True),
        ("teacher", {}, False, True),
        ("teacher", {"reflections": {"teachers": False}}, False, True),  # policy off: ignored
        ("teacher", {"reflections": {"teachers": False}}, True, False),
        ("guardian", {}, False, False),  # not shared by default (a profile from before)
        ("guardian", {"reflections": {"guardians": False}}, False, False),
        ("guardian", {"reflections": {"guardians": True}}, False, True),
        ("client", {"reflections": {"guardians": True}}, False, False),
    ],
)
def test_who_reads_reflections(
    reader: str, sharing: dict[str, dict[str, bool]], may_hide: bool, reads: bool
) -> None:
    assert (
        may_read_reflections(reader, sharing, learner_may_hide_from_teachers=may_hide)  # type: ignore[arg-type]
        is reads
    )


def test_latest_confidence_per_skill() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    ids = [uuid.UUID(int=i) for i in range(1, 5)]
    rows: list[dict[str, object]] = [
        {"id": ids[2], "skill_code": "3.NF.A.1", "confidence": 4, "created_at": at},
        {"id": ids[0], "skill_code": "3.NF.A.1", "confidence": 1, "created_at": at},
        {"id": ids[1], "skill_code": "3.OA.A.1", "confidence": 2, "created_at": at},
        {"id": ids[3], "skill_code": None, "confidence": 3, "created_at": at},
    ]
    assert [(r.skill_code, r.confidence) for r in latest_confidence(rows)] == [
        ("3.NF.A.1", 4),
        ("3.OA.A.1", 2),
    ]
    assert latest_confidence([]) == []
    # Time first: an older rating with a greater id (a seeded one) is not the latest.
    later = datetime(2026, 12, 2, tzinfo=UTC)
    newer = {"id": ids[0], "skill_code": "3.OA.A.1", "confidence": 3, "created_at": later}
    assert [(r.skill_code, r.confidence) for r in latest_confidence([*rows, newer])][1] == (
        "3.OA.A.1",
        3,
    )
