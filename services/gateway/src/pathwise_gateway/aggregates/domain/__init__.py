"""Mastery summaries for the aggregated views: one learner's skills, one class per skill.

Pure functions over the rows assessment answers (``skill_code``, ``p_known``, ``mastered``,
…); rows that are not shaped like that are skipped rather than failing a whole view.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Calibration",
    "LearnerMastery",
    "SkillStat",
    "calibrate",
    "per_learner",
    "per_skill",
    "summarize_learner",
]


@dataclass(frozen=True)
class LearnerMastery:
    skills_tracked: int
    skills_mastered: int
    mean_p_known: float | None
    skills: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SkillStat:
    skill_code: str
    learners_assessed: int
    learners_mastered: int
    mean_p_known: float


def _valid(row: Any) -> bool:
    return (
        isinstance(row, Mapping)
        and isinstance(row.get("skill_code"), str)
        and isinstance(row.get("p_known"), int | float)
    )


def summarize_learner(skills: Iterable[Any]) -> LearnerMastery:
    rows = [dict(r) for r in skills if _valid(r)]
    rows.sort(key=lambda r: r["skill_code"])
    mastered = sum(1 for r in rows if r.get("mastered") is True)
    mean = round(sum(float(r["p_known"]) for r in rows) / len(rows), 4) if rows else None
    return LearnerMastery(len(rows), mastered, mean, rows)


def per_skill(items: Iterable[Any]) -> list[SkillStat]:
    """Class-level view: for each skill, how many learners have evidence and how many mastered."""
    totals: dict[str, list[float]] = {}
    mastered: dict[str, int] = {}
    for row in items:
        if not _valid(row):
            continue
        code = row["skill_code"]
        totals.setdefault(code, []).append(float(row["p_known"]))
        mastered[code] = mastered.get(code, 0) + (1 if row.get("mastered") is True else 0)
    return [
        SkillStat(code, len(values), mastered[code], round(sum(values) / len(values), 4))
        for code, values in sorted(totals.items())
    ]


def per_learner(items: Iterable[Any]) -> dict[str, dict[str, float]]:
    """learner id → skill code → probability the skill is known."""
    out: dict[str, dict[str, float]] = {}
    for row in items:
        if _valid(row) and isinstance(row.get("learner_id"), str):
            out.setdefault(row["learner_id"], {})[row["skill_code"]] = float(row["p_known"])
    return out


# Calibration (issue 16): the learner's own latest confidence (1-4, profiles) beside the model's
# mastery (assessment), per skill both know. Over-confident: sure of a skill the model thinks
# they more likely do not know; under-confident: unsure of a skill the model counts as mastered.
OVER_CONFIDENT_MIN = 3
OVER_CONFIDENT_BELOW_P = 0.5
UNDER_CONFIDENT_MAX = 2


@dataclass(frozen=True)
class Calibration:
    skill_code: str
    confidence: int
    p_known: float
    mastered: bool
    signal: str  # "over_confident", "under_confident" or "calibrated"


def calibrate(confidence: Iterable[Any], mastery: Iterable[Any]) -> list[Calibration]:
    """Per skill with both a self-rating and a mastery estimate, the signal; skills with only
    one of them are left out (nothing to compare). Malformed rows are skipped."""
    known = {r["skill_code"]: r for r in mastery if _valid(r)}
    out: list[Calibration] = []
    for row in confidence:
        if not isinstance(row, Mapping):
            continue
        code, rated = row.get("skill_code"), row.get("confidence")
        if not isinstance(code, str) or type(rated) is not int or code not in known:
            continue
        p_known = float(known[code]["p_known"])
        mastered = known[code].get("mastered") is True
        if rated >= OVER_CONFIDENT_MIN and p_known < OVER_CONFIDENT_BELOW_P:
            signal = "over_confident"
        elif rated <= UNDER_CONFIDENT_MAX and mastered:
            signal = "under_confident"
        else:
            signal = "calibrated"
        out.append(Calibration(code, rated, p_known, mastered, signal))
    return sorted(out, key=lambda c: c.skill_code)
