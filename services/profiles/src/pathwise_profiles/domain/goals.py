"""Rules of a student-owned goal: when a co-sign no longer holds, when a goal is completed
(docs/profiles.md, "Student-owned goals"). Pure functions over plain values."""

from collections.abc import Iterable

__all__ = [
    "CO_SIGNED_FIELDS",
    "clears_co_sign",
    "completes",
    "status_after_progress",
]

# What a co-sign vouches for: the goal itself (what, which skills, by when). Status, progress and
# the learner's `why` may move without asking the teacher again.
CO_SIGNED_FIELDS = frozenset({"title", "skill_codes", "target_date"})


def clears_co_sign(*, by_student: bool, co_signed: bool, changed: Iterable[str]) -> bool:
    """Whether an edit withdraws the goal's co-sign: the learner changed what the teacher signed.

    Staff edits keep it: the teacher (or an admin) changing a co-signed goal is co-signing what
    they wrote."""
    return by_student and co_signed and bool(CO_SIGNED_FIELDS & set(changed))


def completes(before: str, after: str) -> bool:
    """A goal is completed when its status becomes ``achieved``; staying achieved is not a new
    completion (one ``goal.completed`` per completion), leaving and reaching it again is."""
    return after == "achieved" and before != "achieved"


def status_after_progress(status: str, progress: float) -> str:
    """The status a mastery-driven progress leads to: an active goal whose skills are all
    mastered is achieved. A paused or dropped goal stays as the learner set it, and a goal
    already achieved stays achieved when progress falls back (mastery reopened): the learner
    reached it once, and un-achieving it would take back a completion event already sent."""
    if status == "active" and progress >= 1.0:
        return "achieved"
    return status
