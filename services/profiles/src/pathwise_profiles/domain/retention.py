"""Retention and legal holds (docs/privacy.md, "Retention" and "Legal hold"): pure rules.

What the roster knows about a learner is reduced to ``LearnerFacts`` (their student enrollments
with the date each ended, their own status, their birth date if the district gave one, and a
legal hold if one is set); the rules here answer, for one evaluation date:

- ``left_on``: the day the learner left, or ``None`` while they have not. A learner has left when
  none of their student enrollments is still running and at least one existed or their user
  record is ``tobedeleted``; they left on the latest day any enrollment ended (or the day their
  record was marked ``tobedeleted``, if later). An enrollment ended on its ``end_date``, else on
  the end of its class's academic session, else, when it was marked ``tobedeleted`` without a
  date, on the day it was marked. An enrollment that ends today or later, or has no end at all,
  is running: a learner enrolled for next year has not left.
- ``is_under_13``: on the evaluation date, by the calendar (a learner born on 29 February turns
  13 on 1 March of a common year).
- ``hold_active``: a hold not lifted whose ``until`` (inclusive) has not passed.
- ``may_delete``: the one check a deletion of a learner's data goes through; refused under an
  active hold.
- ``evaluate``: whether a district's policy makes the learner due for deletion, since when and
  by which rule.

No I/O here: ``service/retention.py`` gathers the facts and writes the outcome.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

__all__ = [
    "DEFAULT_POLICY",
    "MAX_DAYS",
    "MIN_DAYS",
    "Decision",
    "Due",
    "EnrollmentFact",
    "HoldFact",
    "LearnerFacts",
    "RetentionPolicy",
    "Rule",
    "add_years",
    "enrollment_end",
    "evaluate",
    "hold_active",
    "is_under_13",
    "left_on",
    "may_delete",
    "policy_errors",
]

Rule = Literal["left", "left_under_13"]
# Ten years: a longer period is a typo, not a policy (records laws ask for years, not decades).
MAX_DAYS = 3650
# The shortest delay after leaving: a learner who moves schools over a weekend must not be erased
# before the roster catches up with the new enrollment.
MIN_DAYS = 30


@dataclass(frozen=True)
class EnrollmentFact:
    status: str  # "active" / "tobedeleted"
    end_date: date | None
    session_end: date | None  # the end of the class's academic session, if it has one
    marked_on: date | None  # when a ``tobedeleted`` enrollment was marked (its updated_at)


@dataclass(frozen=True)
class HoldFact:
    set_by: str
    set_at: datetime
    reason: str
    until: date | None
    lifted_at: datetime | None = None


@dataclass(frozen=True)
class LearnerFacts:
    learner_id: Any
    status: str  # the user record's status
    marked_on: date | None  # when a ``tobedeleted`` user record was marked (its updated_at)
    enrollments: tuple[EnrollmentFact, ...]
    birth_date: date | None = None
    hold: HoldFact | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    slug: str | None = None  # the problem type of a refusal


@dataclass(frozen=True)
class Due:
    rule: Rule
    left_on: date
    due_since: date


@dataclass(frozen=True)
class RetentionPolicy:
    """A district's policy; ``DEFAULT_POLICY`` until it sets one (off: nothing is ever due)."""

    enabled: bool = False
    delete_after_days_since_leaving: int = 365
    delete_after_days_since_leaving_under_13: int | None = None
    audit_log_days: int | None = None


DEFAULT_POLICY = RetentionPolicy()


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return date(day.year + years, 3, 1)


def is_under_13(birth_date: date | None, on: date) -> bool | None:
    """Under 13 on ``on``; ``None`` when the birth date is unknown (the caller decides)."""
    if birth_date is None:
        return None
    return on < add_years(birth_date, 13)


def enrollment_end(enrollment: EnrollmentFact) -> date | None:
    """The day an enrollment ended or ends; ``None``: open-ended (running)."""
    if enrollment.end_date is not None:
        end = enrollment.end_date
    elif enrollment.session_end is not None:
        end = enrollment.session_end
    else:
        end = None
    if enrollment.status == "tobedeleted":
        # Removed by the roster: it ended when it was marked, unless its dates ended it earlier.
        marked = enrollment.marked_on
        if end is None or (marked is not None and marked < end):
            end = marked
    return end


def left_on(facts: LearnerFacts, today: date) -> date | None:
    """The day the learner left, or ``None`` while they have not (module docstring)."""
    ends: list[date] = []
    for enrollment in facts.enrollments:
        end = enrollment_end(enrollment)
        if end is None or end >= today:
            return None  # still enrolled (or enrolled again)
        ends.append(end)
    if facts.status == "tobedeleted" and facts.marked_on is not None:
        ends.append(facts.marked_on)
    if not ends:
        return None  # never enrolled and not removed: nothing says they left
    return max(ends)


def hold_active(hold: HoldFact | None, today: date) -> bool:
    if hold is None or hold.lifted_at is not None:
        return False
    return hold.until is None or today <= hold.until


def may_delete(facts: LearnerFacts, now: datetime) -> Decision:
    """Whether the learner's data may be deleted now. The per-learner deletion job and the user
    delete route both ask this, right before they change anything."""
    hold = facts.hold
    if hold_active(hold, now.date()):
        assert hold is not None
        until = f" until {hold.until.isoformat()}" if hold.until else ""
        return Decision(
            False,
            f"The learner is under a legal hold{until} (set {hold.set_at.date().isoformat()}: "
            f"{hold.reason}); lift it before deleting.",
            "legal-hold-active",
        )
    return Decision(True)


def evaluate(facts: LearnerFacts, policy: RetentionPolicy, today: date) -> Due | None:
    """Whether ``policy`` makes the learner due for deletion on ``today`` (a legal hold is not
    looked at here: a held learner is due and held back; ``may_delete`` says so)."""
    if not policy.enabled:
        return None
    left = left_on(facts, today)
    if left is None:
        return None
    general = left + timedelta(days=policy.delete_after_days_since_leaving)
    short = policy.delete_after_days_since_leaving_under_13
    if short is not None and facts.birth_date is not None:
        # The shorter rule applies while the learner is under 13 on the day it would make them
        # due: a child who turns 13 before then falls under the general rule.
        early = left + timedelta(days=short)
        if is_under_13(facts.birth_date, early) and early <= today:
            return Due("left_under_13", left, early)
    if general <= today:
        return Due("left", left, general)
    return None


def policy_errors(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """What is wrong with a policy, field by field (empty: valid). Types and bounds are the
    schema's; this checks what involves two fields."""
    errors: list[dict[str, str]] = []
    general = values.get("delete_after_days_since_leaving")
    short = values.get("delete_after_days_since_leaving_under_13")
    if isinstance(general, int) and isinstance(short, int) and short > general:
        errors.append(
            {
                "field": "delete_after_days_since_leaving_under_13",
                "message": "must not be longer than delete_after_days_since_leaving "
                "(a younger learner's data is kept no longer than anyone's)",
            }
        )
    return errors
