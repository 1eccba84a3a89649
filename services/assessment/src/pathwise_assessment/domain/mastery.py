"""The mastery rule: from P(known) and evidence to *mastered* and a display level.

Rule (issue 4, "not on easy items alone"): a skill is mastered when P(known) ≥ its threshold
**and** the learner has answered correctly at least :data:`HARD_EVIDENCE_NEEDED` item(s) whose
difficulty is at or above the median difficulty of that skill's items. Each skill of a
multi-skill item is credited in full with the item's outcome, and "hard" is judged against *that
skill's* median, so every skill of a multi-skill lesson can be mastered.

Mastery is lost when P(known) falls below ``threshold - LOSS_MARGIN``: the margin keeps a single
slip right after mastery from flapping the state, while repeated failures (or decay) do lose it.
"""

from dataclasses import dataclass, replace
from typing import Literal

from pathwise_assessment.domain.bkt import BktParams, update

__all__ = [
    "DEFAULT_THRESHOLD",
    "HARD_EVIDENCE_NEEDED",
    "LEVELS",
    "LOSS_MARGIN",
    "Level",
    "MasteryState",
    "apply_response",
    "is_hard",
    "level_of",
    "median",
    "reassess",
]

DEFAULT_THRESHOLD = 0.95
HARD_EVIDENCE_NEEDED = 1
LOSS_MARGIN = 0.2
Level = Literal["not_started", "attempted", "familiar", "proficient", "mastered"]
LEVELS: tuple[Level, ...] = ("not_started", "attempted", "familiar", "proficient", "mastered")


@dataclass(frozen=True)
class MasteryState:
    p_known: float
    mastered: bool = False
    evidence_count: int = 0
    hard_correct_count: int = 0

    @property
    def level(self) -> Level:
        return level_of(self)


def level_of(state: MasteryState) -> Level:
    if state.mastered:
        return "mastered"
    if state.evidence_count == 0:
        return "not_started"
    if state.p_known >= 0.8:
        return "proficient"
    if state.p_known >= 0.5:
        return "familiar"
    return "attempted"


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def is_hard(difficulty: float, skill_median: float | None) -> bool:
    """At or above the median difficulty of the skill's items (any item when none is known)."""
    return skill_median is None or difficulty >= skill_median - 1e-9


def reassess(state: MasteryState, threshold: float) -> MasteryState:
    """Re-derive *mastered* after P(known) changed (a response, or decay)."""
    if state.mastered:
        mastered = state.p_known >= threshold - LOSS_MARGIN
    else:
        mastered = state.p_known >= threshold and state.hard_correct_count >= HARD_EVIDENCE_NEEDED
    return replace(state, mastered=mastered)


def apply_response(
    state: MasteryState,
    *,
    correct: bool,
    hard: bool,
    params: BktParams,
    threshold: float = DEFAULT_THRESHOLD,
) -> MasteryState:
    moved = replace(
        state,
        p_known=update(state.p_known, correct, params),
        evidence_count=state.evidence_count + 1,
        hard_correct_count=state.hard_correct_count + (1 if correct and hard else 0),
    )
    return reassess(moved, threshold)
