"""Diagnostic placement: where a learner starts on a strand, from their ability, and which skills
of the strand the diagnostic showed known (with the answers that show it)."""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from pathwise_assessment.domain.mastery import median

__all__ = ["PLACED_CHANCE", "placed_skills", "placement"]

# A skill counts as shown known when the learner's ability makes its typical item at least this
# likely to be right: the same bar below which the strand's start skill is chosen.
PLACED_CHANCE = 0.7


def placement(
    skill_codes: list[str],
    difficulties: dict[str, list[float]],
    theta: float,
    answers: Iterable[tuple[str, Iterable[str], bool]] = (),
) -> dict[str, Any]:
    """Where to start on a strand: the first skill (in the strand's order) whose typical item
    (median difficulty, a = 1) the learner is less than 70 % likely to get right; and ``placed``,
    the skills before it shown known (see :func:`placed_skills`).

    ``answers`` are the attempt's scored answers as (item id, its skill codes, correct)."""
    chances: dict[str, float | None] = {}
    start: str | None = None
    for code in skill_codes:
        mid = median(difficulties.get(code, []))
        chance = None if mid is None else float(1.0 / (1.0 + np.exp(-(theta - mid))))
        chances[code] = None if chance is None else round(chance, 3)
        if start is None and chance is not None and chance < PLACED_CHANCE:
            start = code
    return {
        "start_skill_code": start,
        "p_correct_by_skill": chances,
        "theta": round(theta, 3),
        "placed": placed_skills(skill_codes, chances, start, answers),
    }


def placed_skills(
    skill_codes: list[str],
    chances: Mapping[str, float | None],
    start: str | None,
    answers: Iterable[tuple[str, Iterable[str], bool]],
) -> list[dict[str, Any]]:
    """The skills before the start skill that the learner is likely to get right **and** answered
    an item of correctly in this attempt: the ability estimate alone never places a skill the
    learner was not asked about (that is how earlier grades used to be assumed known). Each comes
    with its evidence: the chance, and every answer on an item of the skill."""
    by_skill: dict[str, list[dict[str, Any]]] = {}
    for item_id, codes, correct in answers:
        for code in codes:
            by_skill.setdefault(code, []).append({"item_id": item_id, "correct": correct})
    placed = []
    for code in skill_codes:
        if code == start:
            break
        chance = chances.get(code)
        items = by_skill.get(code, [])
        if chance is None or chance < PLACED_CHANCE or not any(a["correct"] for a in items):
            continue
        placed.append({"skill_code": code, "p_correct": chance, "items": items})
    return placed
