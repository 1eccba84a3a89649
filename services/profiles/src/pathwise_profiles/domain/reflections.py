"""Reflection and self-assessment rules (docs/profiles.md, "Reflections"): the confidence
scale, who reads a learner's reflections, and the latest confidence per skill. Pure functions."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pathwise_profiles.domain.visibility import Reader

__all__ = [
    "CONFIDENCE_SCALE",
    "REFLECTION_SHARING_DEFAULT",
    "LatestConfidence",
    "TargetKind",
    "latest_confidence",
    "may_read_reflections",
    "target_kind_of",
]

TargetKind = Literal["step", "skill", "goal"]

# The documented scale a learner rates themself on (the same words in the API schema and docs).
CONFIDENCE_SCALE: Mapping[int, str] = {
    1: "not yet: I can't do this on my own",
    2: "getting there: I can with help or an example",
    3: "I've got it: I can do this on my own",
    4: "I could teach it to someone else",
}

# A journal is the learner's own voice: guardians read it only when the learner says so (the
# goals and interests default to shared; reflections do not).
REFLECTION_SHARING_DEFAULT: Mapping[str, bool] = {"guardians": False, "teachers": True}


def target_kind_of(
    *, step_id: object | None, skill_code: object | None, goal_id: object | None
) -> TargetKind | None:
    """Which single target a reflection names; None when it names none or several."""
    candidates: tuple[tuple[TargetKind, object | None], ...] = (
        ("step", step_id),
        ("skill", skill_code),
        ("goal", goal_id),
    )
    named = [kind for kind, value in candidates if value is not None]
    return named[0] if len(named) == 1 else None


def may_read_reflections(
    reader: Reader,
    sharing: Mapping[str, Mapping[str, bool]],
    *,
    learner_may_hide_from_teachers: bool,
) -> bool:
    """The learner and their teachers and admins read them; guardians only when the learner
    shares ``reflections`` with guardians; teachers lose them only when the learner hides them
    *and* the district lets learners hide parts from teachers (as for goals). Integration
    clients never: a journal is not planning data."""
    chosen = sharing.get("reflections", {})
    if reader in {"student", "admin"}:
        return True
    if reader == "teacher":
        return not learner_may_hide_from_teachers or chosen.get(
            "teachers", REFLECTION_SHARING_DEFAULT["teachers"]
        )
    if reader == "guardian":
        return chosen.get("guardians", REFLECTION_SHARING_DEFAULT["guardians"])
    return False


@dataclass(frozen=True)
class LatestConfidence:
    skill_code: str
    confidence: int
    reflection_id: object
    rated_at: datetime


def latest_confidence(rows: Iterable[Mapping[Any, Any]]) -> list[LatestConfidence]:
    """Per skill, the newest skill reflection's confidence (by time, then id: ids are UUIDv7,
    time-ordered within a millisecond too; seeded ones are not), sorted by skill code."""
    latest: dict[str, Mapping[Any, Any]] = {}
    for row in rows:
        code = row.get("skill_code")
        if not isinstance(code, str):
            continue
        seen = latest.get(code)
        if seen is None or (row["created_at"], str(row["id"])) > (
            seen["created_at"],
            str(seen["id"]),
        ):
            latest[code] = row
    out = []
    for code in sorted(latest):
        row = latest[code]
        confidence, at = row["confidence"], row["created_at"]
        assert isinstance(confidence, int) and isinstance(at, datetime)
        out.append(LatestConfidence(code, confidence, row["id"], at))
    return out
