"""The calibration signal of the learner overview: the learner's own confidence beside the
model's mastery (aggregates/domain.py, ``calibrate``)."""

import pytest

from pathwise_gateway.aggregates.domain import calibrate


def _mastery(code: str, p_known: float, mastered: bool) -> dict[str, object]:
    return {"skill_code": code, "p_known": p_known, "mastered": mastered}


@pytest.mark.parametrize(
    ("confidence", "p_known", "mastered", "signal"),
    [
        (3, 0.49, False, "over_confident"),
        (4, 0.10, False, "over_confident"),
        (3, 0.50, False, "calibrated"),  # the edge: P(known) 0.5 is not below 0.5
        (2, 0.30, False, "calibrated"),  # unsure and not known: honest
        (2, 0.97, True, "under_confident"),
        (1, 0.96, True, "under_confident"),
        (3, 0.97, True, "calibrated"),
        (2, 0.90, False, "calibrated"),  # likely known, not mastered yet: no signal
    ],
)
def test_signal(confidence: int, p_known: float, mastered: bool, signal: str) -> None:
    [found] = calibrate(
        [{"skill_code": "3.NF.A.1", "confidence": confidence}],
        [_mastery("3.NF.A.1", p_known, mastered)],
    )
    assert (found.signal, found.confidence, found.p_known, found.mastered) == (
        signal,
        confidence,
        p_known,
        mastered,
    )


def test_only_skills_with_both_and_well_formed_rows() -> None:
    found = calibrate(
        [
            {"skill_code": "3.OA.A.1", "confidence": 4},
            {"skill_code": "3.NF.A.1", "confidence": 1},
            {"skill_code": "9.ZZ.Z.9", "confidence": 4},  # no mastery estimate: left out
            {"skill_code": "3.NF.A.2", "confidence": "4"},  # malformed: skipped
            {"skill_code": "3.NF.A.3", "confidence": True},  # a bool is no rating
            "not a row",
        ],
        [
            _mastery("3.NF.A.1", 0.99, True),
            _mastery("3.OA.A.1", 0.2, False),
            _mastery("3.NF.A.2", 0.2, False),
            _mastery("3.NF.A.3", 0.2, False),
            {"skill_code": "3.MD.A.1"},  # no p_known
        ],
    )
    assert [(c.skill_code, c.signal) for c in found] == [
        ("3.NF.A.1", "under_confident"),
        ("3.OA.A.1", "over_confident"),
    ]
    assert calibrate([], []) == []
