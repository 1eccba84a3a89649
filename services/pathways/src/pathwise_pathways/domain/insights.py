"""Class insights: learners flagged early, each flag with a reason code and a sentence."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["FAILED_CHECKS", "STALL_DAYS", "Flag", "LearnerSignals", "SkillSignal", "flag_learner"]

STALL_DAYS = 14
# Counted in scored answers (assessment's evidence_count), the unit mastery is estimated from:
# three wrong answers already say more than one failed check of a single item.
FAILED_CHECKS = 3


@dataclass(frozen=True)
class SkillSignal:
    skill_code: str
    p_known: float
    mastered: bool
    evidence_count: int
    updated_at: datetime | None


@dataclass(frozen=True)
class LearnerSignals:
    learner_id: str
    has_pathway: bool
    current_skill: str | None
    current_since: datetime | None
    skills: Sequence[SkillSignal]
    at_risk_goals: Sequence[str]
    missing_features: Sequence[str]


@dataclass(frozen=True)
class Flag:
    code: str
    detail: str


def flag_learner(signals: LearnerSignals, now: datetime) -> list[Flag]:
    flags: list[Flag] = []
    if not signals.has_pathway:
        return [Flag("no_pathway", "no pathway has been planned yet")]
    current = next((s for s in signals.skills if s.skill_code == signals.current_skill), None)
    last_change = max((s.updated_at for s in signals.skills if s.updated_at), default=None)
    since = max(filter(None, (last_change, signals.current_since)), default=None)
    if signals.current_skill and since is not None and now - since > timedelta(days=STALL_DAYS):
        flags.append(
            Flag(
                "stalled_mastery",
                f"no mastery change for {(now - since).days} days on {signals.current_skill}",
            )
        )
    if signals.at_risk_goals:
        flags.append(
            Flag("behind_pace", "at risk of missing goal " + ", ".join(signals.at_risk_goals))
        )
    failing = [
        s
        for s in signals.skills
        if not s.mastered and s.evidence_count >= FAILED_CHECKS and s.p_known < 0.4
    ]
    if failing:
        worst = min(failing, key=lambda s: (s.p_known, s.skill_code))
        flags.append(
            Flag(
                "repeated_failed_checks",
                f"{worst.evidence_count} scored answers on {worst.skill_code} without mastery "
                f"(p_known {worst.p_known:.2f})",
            )
        )
    elif current is not None and not current.mastered and current.evidence_count >= FAILED_CHECKS:
        flags.append(
            Flag(
                "repeated_failed_checks",
                f"{current.evidence_count} scored answers on {current.skill_code} without mastery",
            )
        )
    if signals.missing_features:
        flags.append(
            Flag(
                "accommodation_not_applied",
                "the chosen activity lacks " + ", ".join(signals.missing_features),
            )
        )
    return flags
