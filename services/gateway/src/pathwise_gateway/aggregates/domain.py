"""Mastery summaries for the aggregated views: one learner's skills, one class per skill.

Pure functions over the rows assessment answers (``skill_code``, ``p_known``, ``mastered``,
…); rows that are not shaped like that are skipped rather than failing a whole view.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LearnerMastery", "SkillStat", "per_learner", "per_skill", "summarize_learner"]


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
