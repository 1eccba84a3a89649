"""Motivation that compares a learner only with themself: points, a forgiving streak, badges.

Pure rules (no database): the service feeds them the learner's own practice days, how many
skills they have ever mastered, the flags pathways raised for them and their history on a skill.
Nothing here ranks or compares learners; nothing takes more than one learner.
"""

import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = [
    "BADGES",
    "COMEBACK",
    "COMEBACK_AFTER_CLEAR",
    "COMEBACK_FLAGS",
    "FIRST_MASTERY",
    "MASTERY_POINTS",
    "PRACTICE_POINTS",
    "SKILL_MILESTONES",
    "STREAK_BADGE_DAYS",
    "STREAK_FIVE",
    "FlagEpisode",
    "FlagNotice",
    "SkillMoment",
    "Streak",
    "comeback_episode",
    "episodes_of",
    "mastered_after",
    "milestone_badges",
    "points",
    "streak_of",
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
# The flags that say a learner needs extra help with their learning (pathways' domain/insights):
# stuck on a skill, building on a missing prerequisite, more errors than the model explains.
# Not no_pathway or accommodation_not_applied (about the plan, not the learner's work) nor
# behind_pace (about goal dates: catching up is not mastering a skill that was hard).
COMEBACK_FLAGS = frozenset({"no_progress", "prerequisite_gap", "error_rate_high"})
# A flag clears when its evidence is gone, which can come shortly before the skill is mastered
# (the learner climbing out of it): a mastery this long after the clearing still counts.
COMEBACK_AFTER_CLEAR = timedelta(days=14)

FIRST_MASTERY = "first_mastery"
STREAK_FIVE = "streak_5"
COMEBACK = "comeback"
BADGES: dict[str, str] = {
    FIRST_MASTERY: "Mastered a first skill",
    **{f"skills_mastered_{n}": f"Mastered {n} skills" for n in SKILL_MILESTONES},
    STREAK_FIVE: f"Practised on {STREAK_BADGE_DAYS} days in a streak",
    COMEBACK: "Mastered a skill after a flag for extra help",
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


@dataclass(frozen=True)
class FlagNotice:
    """A ``learner.flagged`` / ``learner.unflagged`` event as assessment stored it."""

    event_id: uuid.UUID
    flag_id: uuid.UUID
    kind: str  # flagged / unflagged
    code: str
    skill_code: str | None  # None: learner-wide
    at: datetime
    used: bool = False  # a flagged notice whose episode already earned its comeback


@dataclass(frozen=True)
class FlagEpisode:
    """One flag from its raising (a ``learner.flagged``) to its end: the next event on the same
    flag (``learner.unflagged``, or a re-raise on other evidence, which starts a new episode)."""

    event_id: uuid.UUID
    code: str
    skill_code: str | None
    raised_at: datetime
    cleared_at: datetime | None
    used: bool


def episodes_of(notices: Iterable[FlagNotice]) -> list[FlagEpisode]:
    """The learner's flag episodes, oldest first. Built from the events' own times, not their
    arrival order: deliveries come at least once and in any order."""
    ordered = sorted(notices, key=lambda n: (n.at, n.kind != "flagged", str(n.event_id)))
    episodes = []
    for i, notice in enumerate(ordered):
        if notice.kind != "flagged":
            continue
        end = next(
            (n.at for n in ordered[i + 1 :] if n.flag_id == notice.flag_id),
            None,
        )
        episodes.append(
            FlagEpisode(
                notice.event_id,
                notice.code,
                notice.skill_code,
                notice.at,
                end,
                notice.used,
            )
        )
    return episodes


@dataclass(frozen=True)
class SkillMoment:
    """One row of the learner's mastery history on a skill."""

    at: datetime
    answered: bool  # an answer (response or skip), not a decay
    mastered: bool  # the state after it


def _mastered_at(history: Sequence[SkillMoment], moment: datetime) -> bool:
    state = False
    for row in history:
        if row.at > moment:
            break
        state = row.mastered
    return state


def mastered_after(history: Sequence[SkillMoment], since: datetime) -> datetime | None:
    """When the skill was first newly mastered after ``since`` (history oldest first)."""
    state = _mastered_at(history, since)
    for row in history:
        if row.at <= since:
            continue
        if row.mastered and not state:
            return row.at
        state = row.mastered
    return None


def comeback_episode(
    episodes: Sequence[FlagEpisode],
    skill_code: str,
    history: Sequence[SkillMoment],
    mastered_at: datetime,
) -> FlagEpisode | None:
    """The flag episode a new mastery of ``skill_code`` at ``mastered_at`` is a comeback from,
    if any (the oldest that qualifies): a help flag (``COMEBACK_FLAGS``) raised before the
    mastery, still open or cleared at most ``COMEBACK_AFTER_CLEAR`` before it, whose episode has
    not earned a comeback yet, with the skill not mastered when the flag was raised (a skill
    mastered before the flag is no comeback from it), and about this skill: a flag naming the
    skill, or a learner-wide flag when the learner had worked on the skill (answered it) by the
    time it was raised."""
    for episode in sorted(episodes, key=lambda e: e.raised_at):
        if episode.used or episode.code not in COMEBACK_FLAGS:
            continue
        if episode.raised_at >= mastered_at:
            continue
        if (
            episode.cleared_at is not None
            and mastered_at - episode.cleared_at > COMEBACK_AFTER_CLEAR
        ):
            continue
        if _mastered_at(history, episode.raised_at):
            continue
        if episode.skill_code is None:
            if not any(r.answered and r.at <= episode.raised_at for r in history):
                continue
        elif episode.skill_code != skill_code:
            continue
        return episode
    return None


def milestone_badges(skills_mastered: int, streak_longest: int) -> set[str]:
    """The learner-wide badges their counts have earned (comebacks are per skill)."""
    earned = set()
    if skills_mastered >= 1:
        earned.add(FIRST_MASTERY)
    earned.update(f"skills_mastered_{n}" for n in SKILL_MILESTONES if skills_mastered >= n)
    if streak_longest >= STREAK_BADGE_DAYS:
        earned.add(STREAK_FIVE)
    return earned
