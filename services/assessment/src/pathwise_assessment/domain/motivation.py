"""Motivation that compares a learner only with themself: points, a forgiving streak, badges.

Pure rules (no database): the service feeds them the learner's own practice days, how many
skills they have ever mastered and the answers they gave on a skill. Nothing here ranks or
compares learners; nothing takes more than one learner.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "BADGES",
    "COMEBACK",
    "FIRST_MASTERY",
    "MASTERY_POINTS",
    "PRACTICE_POINTS",
    "SKILL_MILESTONES",
    "STREAK_BADGE_DAYS",
    "STREAK_FIVE",
    "STRUGGLE_RUN",
    "Streak",
    "milestone_badges",
    "points",
    "streak_of",
    "struggled",
]

# One point per answered item (practice), ten per skill mastered for the first time: mastering a
# skill is worth a good session of practice, and practice alone still moves the count every day.
PRACTICE_POINTS = 1
MASTERY_POINTS = 10
# A missed day is forgiven: consecutive practice days at most this many calendar days apart keep
# the streak (1 = the next day, 2 = one day missed); a wider gap breaks it.
MAX_GAP_DAYS = 2
STREAK_BADGE_DAYS = 5
SKILL_MILESTONES = (5, 10)
# A struggle on a skill: at least this many wrong answers in a row on it.
STRUGGLE_RUN = 3

FIRST_MASTERY = "first_mastery"
STREAK_FIVE = "streak_5"
COMEBACK = "comeback"
BADGES: dict[str, str] = {
    FIRST_MASTERY: "Mastered a first skill",
    **{f"skills_mastered_{n}": f"Mastered {n} skills" for n in SKILL_MILESTONES},
    STREAK_FIVE: f"Practised on {STREAK_BADGE_DAYS} days in a streak",
    COMEBACK: "Mastered a skill after struggling with it",
}


def points(answered: int, skills_mastered: int) -> int:
    """The learner's points: practice and first masteries (a skill lost and mastered again
    counts once)."""
    return PRACTICE_POINTS * answered + MASTERY_POINTS * skills_mastered


@dataclass(frozen=True)
class Streak:
    current: int  # practice days in the streak still alive on ``today`` (0: none)
    longest: int  # the longest streak ever, in practice days
    last_day: date | None


def streak_of(days: Iterable[date], today: date) -> Streak:
    """Streaks over the learner's practice days (the UTC dates they answered on).

    A streak is a run of practice days where each is at most ``MAX_GAP_DAYS`` after the one
    before: practising Monday and Wednesday keeps it (one missed day), Monday and Thursday
    breaks it. Its length counts practice days only (the forgiven day adds nothing). The
    current streak is alive while the last practice day is at most ``MAX_GAP_DAYS`` before
    ``today``: after a missed yesterday, practising today still continues it."""
    ordered = sorted(set(days))
    if not ordered:
        return Streak(0, 0, None)
    longest = run = 1
    for before, after in itertools.pairwise(ordered):
        run = run + 1 if (after - before).days <= MAX_GAP_DAYS else 1
        longest = max(longest, run)
    last = ordered[-1]
    alive = 0 <= (today - last).days <= MAX_GAP_DAYS
    return Streak(run if alive else 0, longest, last)


def struggled(answers: Sequence[bool]) -> bool:
    """Whether the answers on a skill (oldest first; True = right) hold a run of at least
    ``STRUGGLE_RUN`` wrong answers in a row: the learner struggled with the skill."""
    run = 0
    for correct in answers:
        run = 0 if correct else run + 1
        if run >= STRUGGLE_RUN:
            return True
    return False


def milestone_badges(skills_mastered: int, streak_longest: int) -> set[str]:
    """The learner-wide badges their counts have earned (comebacks are per skill)."""
    earned = set()
    if skills_mastered >= 1:
        earned.add(FIRST_MASTERY)
    earned.update(f"skills_mastered_{n}" for n in SKILL_MILESTONES if skills_mastered >= n)
    if streak_longest >= STREAK_BADGE_DAYS:
        earned.add(STREAK_FIVE)
    return earned
