"""Diagnostic placement: where a learner starts on a strand, from their ability."""

from typing import Any

import numpy as np

from pathwise_assessment.domain.mastery import median

__all__ = ["placement"]


def placement(
    skill_codes: list[str], difficulties: dict[str, list[float]], theta: float
) -> dict[str, Any]:
    """Where to start on a strand: the first skill (in the strand's order) whose typical item
    (median difficulty, a = 1) the learner is less than 70 % likely to get right."""
    chances: dict[str, float | None] = {}
    start: str | None = None
    for code in skill_codes:
        mid = median(difficulties.get(code, []))
        chance = None if mid is None else float(1.0 / (1.0 + np.exp(-(theta - mid))))
        chances[code] = None if chance is None else round(chance, 3)
        if start is None and chance is not None and chance < 0.7:
            start = code
    return {"start_skill_code": start, "p_correct_by_skill": chances, "theta": round(theta, 3)}
