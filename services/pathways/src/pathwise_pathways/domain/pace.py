"""Pace forecast: when each goal should be reached, from activity minutes and the learner's pace."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "DEFAULT_STEP_MINUTES",
    "MINUTES_PER_WEEK",
    "GoalForecast",
    "GoalProgress",
    "StepLoad",
    "forecast",
    "goal_progress",
]

# Practice a learner gets per week on the pathway, by the profile's pace.
MINUTES_PER_WEEK = {"slower": 90, "steady": 120, "faster": 160}
DEFAULT_STEP_MINUTES = 30
# An activity alone rarely shows mastery: the skill check and a second try come with it.
_PRACTICE_FACTOR = 1.5


@dataclass(frozen=True)
class StepLoad:
    code: str
    minutes: int
    goal_codes: tuple[str, ...]
    done: bool


@dataclass(frozen=True)
class GoalForecast:
    skill_code: str
    target_date: date | None
    expected_date: date
    remaining_minutes: int
    status: str  # on_track | at_risk | done
    reason: str


def forecast(
    steps: Sequence[StepLoad],
    goals: Sequence[tuple[str, date | None]],
    *,
    pace: str,
    today: date,
    time_factor: float = 1.0,
) -> list[GoalForecast]:
    """Steps are worked in pathway order; a goal is reached when its last step is."""
    per_week = MINUTES_PER_WEEK.get(pace, MINUTES_PER_WEEK["steady"])
    cumulative = 0.0
    reached_at: dict[str, float] = {}
    for step in steps:
        if step.done:
            continue
        cumulative += step.minutes * _PRACTICE_FACTOR * max(time_factor, 1.0)
        for code in step.goal_codes:
            reached_at[code] = cumulative
    result = []
    for code, target in goals:
        minutes = reached_at.get(code)
        if minutes is None:
            result.append(GoalForecast(code, target, today, 0, "done", "every step is mastered"))
            continue
        expected = today + timedelta(days=math.ceil(minutes / per_week * 7))
        remaining = math.ceil(minutes)
        if target is None:
            status, reason = "on_track", "no target date"
        elif expected <= target:
            status = "on_track"
            reason = f"expected {expected.isoformat()}, by the target {target.isoformat()}"
        else:
            status = "at_risk"
            reason = (
                f"needs about {remaining} more minutes at {per_week} per week ({pace} pace): "
                f"expected {expected.isoformat()}, after the target {target.isoformat()}"
            )
        result.append(GoalForecast(code, target, expected, remaining, status, reason))
    return result


@dataclass(frozen=True)
class GoalProgress:
    skill_code: str
    target_date: date | None
    needed: int
    mastered: int
    placed: int

    @property
    def progress(self) -> float:
        return round((self.mastered + self.placed) / self.needed, 4) if self.needed else 1.0


def goal_progress(
    steps: Sequence[tuple[str, str, Sequence[str]]], goals: Sequence[tuple[str, date | None]]
) -> list[GoalProgress]:
    """Progress of each goal from mastery: of the goal's needed skills (the steps planned for it:
    its target and every prerequisite that was not mastered when planned), the share mastered or
    placed by a diagnostic. ``steps``: (code, status, goal codes). Skipped steps stay needed and
    not done; a goal with no step left in the plan (mastered before planning) is complete."""
    out = []
    for code, target in goals:
        own = [status for _, status, goal_codes in steps if code in goal_codes]
        out.append(
            GoalProgress(
                code,
                target,
                len(own),
                sum(1 for s in own if s == "mastered"),
                sum(1 for s in own if s == "placed"),
            )
        )
    return out
