"""The pure retention and legal-hold rules (``pathwise_profiles.domain.retention``)."""

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from pathwise_profiles.domain.retention import (
    DEFAULT_POLICY,
    EnrollmentFact,
    HoldFact,
    LearnerFacts,
    RetentionPolicy,
    evaluate,
    hold_active,
    is_under_13,
    left_on,
    may_delete,
    policy_errors,
)
from pathwise_profiles.schemas.retention import RetentionPolicyIn

TODAY = date(2027, 1, 5)
NOW = datetime(2027, 1, 5, 12, tzinfo=UTC)


def ended(
    end: date | None = None,
    *,
    status: str = "active",
    session_end: date | None = None,
    marked: date | None = None,
) -> EnrollmentFact:
    return EnrollmentFact(status=status, end_date=end, session_end=session_end, marked_on=marked)


def facts(
    *enrollments: EnrollmentFact,
    status: str = "active",
    marked: date | None = None,
    born: date | None = None,
    hold: HoldFact | None = None,
) -> LearnerFacts:
    return LearnerFacts(uuid.uuid4(), status, marked, tuple(enrollments), born, hold)


def hold(until: date | None = None, lifted: datetime | None = None) -> HoldFact:
    return HoldFact("admin", datetime(2026, 1, 1, tzinfo=UTC), "Case 14", until, lifted)


# Leaving -----------------------------------------------------------------------------------


def test_the_last_ended_enrollment_is_the_day_of_leaving() -> None:
    learner = facts(ended(date(2026, 6, 1)), ended(date(2025, 6, 1)))
    assert left_on(learner, TODAY) == date(2026, 6, 1)


def test_one_running_enrollment_means_not_left() -> None:
    assert left_on(facts(ended(date(2026, 6, 1)), ended(None)), TODAY) is None
    # Ends today: still running today.
    assert left_on(facts(ended(TODAY)), TODAY) is None
    # Enrolled for next year: coming back, not left.
    assert left_on(facts(ended(date(2026, 6, 1)), ended(date(2027, 6, 1))), TODAY) is None


def test_the_class_session_ends_an_open_enrollment() -> None:
    assert left_on(facts(ended(None, session_end=date(2026, 6, 10))), TODAY) == date(2026, 6, 10)
    # Its own end date wins over the session's.
    assert left_on(facts(ended(date(2026, 3, 1), session_end=date(2026, 6, 10))), TODAY) == date(
        2026, 3, 1
    )


def test_a_removed_enrollment_ended_when_it_was_removed_unless_its_dates_ended_it_earlier() -> None:
    removed = ended(None, status="tobedeleted", marked=date(2026, 9, 2))
    assert left_on(facts(removed), TODAY) == date(2026, 9, 2)
    early = ended(date(2026, 6, 1), status="tobedeleted", marked=date(2026, 9, 2))
    assert left_on(facts(early), TODAY) == date(2026, 6, 1)
    # Removed today with an end date still ahead: it ended today, so not yet "left" today.
    late = ended(date(2027, 6, 1), status="tobedeleted", marked=TODAY)
    assert left_on(facts(late), TODAY) is None


def test_a_deleted_user_left_on_the_later_of_their_record_and_enrollments() -> None:
    assert left_on(facts(status="tobedeleted", marked=date(2026, 2, 2)), TODAY) == date(2026, 2, 2)
    learner = facts(ended(date(2026, 6, 1)), status="tobedeleted", marked=date(2026, 2, 2))
    assert left_on(learner, TODAY) == date(2026, 6, 1)


def test_never_enrolled_and_active_has_not_left() -> None:
    assert left_on(facts(), TODAY) is None


# Under 13 ----------------------------------------------------------------------------------


def test_thirteenth_birthday_is_the_first_day_not_under_13() -> None:
    born = date(2014, 1, 5)
    assert is_under_13(born, date(2027, 1, 4)) is True
    assert is_under_13(born, date(2027, 1, 5)) is False
    assert is_under_13(None, TODAY) is None


def test_leap_day_birthdays_turn_13_on_the_first_of_march() -> None:
    born = date(2012, 2, 29)
    assert is_under_13(born, date(2025, 2, 28)) is True
    assert is_under_13(born, date(2025, 3, 1)) is False
    # 2000 was a leap year (divisible by 400); 2013 is not.
    assert is_under_13(date(2000, 2, 29), date(2013, 2, 28)) is True
    assert is_under_13(date(2000, 2, 29), date(2013, 3, 1)) is False


# Legal hold --------------------------------------------------------------------------------


def test_a_hold_holds_until_its_last_day_inclusive_or_until_lifted() -> None:
    assert hold_active(None, TODAY) is False
    assert hold_active(hold(), TODAY) is True
    assert hold_active(hold(until=TODAY), TODAY) is True
    assert hold_active(hold(until=date(2027, 1, 4)), TODAY) is False
    assert hold_active(hold(lifted=datetime(2026, 12, 1, tzinfo=UTC)), TODAY) is False


def test_may_delete_refuses_under_an_active_hold_with_the_reason() -> None:
    refused = may_delete(facts(hold=hold(until=date(2027, 3, 1))), NOW)
    assert not refused.allowed
    assert refused.slug == "legal-hold-active"
    assert "2027-03-01" in refused.reason and "Case 14" in refused.reason
    assert may_delete(facts(hold=hold(until=date(2027, 1, 4))), NOW).allowed
    assert may_delete(facts(), NOW).allowed


# Evaluation --------------------------------------------------------------------------------

POLICY = RetentionPolicy(True, 365, 90, None)


def test_nothing_is_due_under_the_default_policy() -> None:
    assert DEFAULT_POLICY.enabled is False
    assert evaluate(facts(ended(date(2000, 6, 1))), DEFAULT_POLICY, TODAY) is None


def test_the_general_rule_counts_days_since_leaving() -> None:
    learner = facts(ended(date(2026, 1, 5)))
    assert evaluate(learner, POLICY, date(2027, 1, 4)) is None
    due = evaluate(learner, POLICY, date(2027, 1, 5))
    assert due is not None and due.rule == "left" and due.due_since == date(2027, 1, 5)


def test_the_under_13_rule_applies_while_under_13_on_the_day_it_ends() -> None:
    left = date(2026, 6, 1)  # the short period ends on 2026-08-30
    child = facts(ended(left), born=date(2014, 1, 1))
    due = evaluate(child, POLICY, TODAY)
    assert due is not None and due.rule == "left_under_13" and due.due_since == date(2026, 8, 30)
    # Turns 13 on 2026-08-30: the general rule.
    turning = facts(ended(left), born=date(2013, 8, 30))
    assert evaluate(turning, POLICY, TODAY) is None
    assert evaluate(turning, POLICY, date(2027, 6, 1)).rule == "left"  # type: ignore[union-attr]
    # Turns 13 the day after: still under 13 then.
    assert evaluate(facts(ended(left), born=date(2013, 8, 31)), POLICY, TODAY) is not None
    # No birth date: the general rule for everyone.
    assert evaluate(facts(ended(left)), POLICY, TODAY) is None
    # No under-13 period: the general rule.
    general_only = RetentionPolicy(True, 365, None, None)
    assert evaluate(child, general_only, TODAY) is None


def test_a_hold_does_not_change_whether_a_learner_is_due() -> None:
    held = facts(ended(date(2020, 1, 1)), hold=hold())
    assert evaluate(held, POLICY, TODAY) is not None
    assert not may_delete(held, NOW).allowed


# Policy validation -------------------------------------------------------------------------


def test_policy_bounds_and_the_under_13_period_at_most_the_general_one() -> None:
    ok = {"enabled": True, "delete_after_days_since_leaving": 365}
    assert RetentionPolicyIn.model_validate(ok).delete_after_days_since_leaving_under_13 is None
    for bad in (
        {**ok, "delete_after_days_since_leaving": 29},
        {**ok, "delete_after_days_since_leaving": 3651},
        {**ok, "delete_after_days_since_leaving": "365"},
        {**ok, "delete_after_days_since_leaving": True},
        {**ok, "audit_log_days": 10},
        {**ok, "enabled": 1},
        {"delete_after_days_since_leaving": 365},
    ):
        with pytest.raises(ValidationError):
            RetentionPolicyIn.model_validate(bad)
    assert policy_errors({**ok, "delete_after_days_since_leaving_under_13": 365}) == []
    errors = policy_errors({**ok, "delete_after_days_since_leaving_under_13": 366})
    assert [e["field"] for e in errors] == ["delete_after_days_since_leaving_under_13"]
