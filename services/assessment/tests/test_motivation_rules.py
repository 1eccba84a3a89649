"""The motivation rules (``domain.motivation``): the forgiving streak, comebacks after a flag,
milestones."""

import uuid
from datetime import UTC, date, datetime, timedelta

from pathwise_assessment.domain import motivation as rule

MON = date(2026, 3, 2)


def days(*offsets: int) -> list[date]:
    return [MON + timedelta(days=n) for n in offsets]


def test_one_missed_day_keeps_the_streak_two_break_it() -> None:
    # Mon, Wed (Tue missed), Thu: one streak of three practice days.
    assert rule.streak_of(days(0, 2, 3), MON + timedelta(days=3)).current == 3
    # Mon, Thu (Tue and Wed missed): broken, the streak is Thu alone.
    broken = rule.streak_of(days(0, 3), MON + timedelta(days=3))
    assert broken.current == 1 and broken.longest == 1


def test_the_current_streak_survives_one_missed_day_up_to_today() -> None:
    practised = days(0, 1, 2)
    assert rule.streak_of(practised, MON + timedelta(days=3)).current == 3  # yesterday
    assert rule.streak_of(practised, MON + timedelta(days=4)).current == 3  # one day missed
    gone = rule.streak_of(practised, MON + timedelta(days=5))  # two missed: over
    assert gone.current == 0 and gone.longest == 3 and gone.last_day == MON + timedelta(days=2)


def test_longest_streak_and_duplicate_days() -> None:
    found = rule.streak_of(days(0, 1, 1, 2, 4, 6, 10, 11), MON + timedelta(days=11))
    assert found.longest == 5  # 0,1,2,4,6: gaps of 1,1,2,2
    assert found.current == 2
    assert rule.streak_of([], MON) == rule.Streak(0, 0, None)


T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
SKILL = "3.NF.A.1"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def notice(
    kind: str,
    hours: float,
    *,
    flag: uuid.UUID,
    code: str = "no_progress",
    skill: str | None = SKILL,
    used: bool = False,
) -> rule.FlagNotice:
    return rule.FlagNotice(uuid.uuid4(), flag, kind, code, skill, at(hours), used)


def history(*rows: tuple[float, bool]) -> list[rule.SkillMoment]:
    """Answers at these hours, each with the mastered state after it."""
    return [rule.SkillMoment(at(h), True, mastered) for h, mastered in rows]


# Worked on the skill before the flag (hours 0-2), mastered at hour 10.
WORKED = history((0, False), (1, False), (2, False), (10, True))


def test_a_skill_mastered_after_its_flag_is_a_comeback() -> None:
    flag = uuid.uuid4()
    episodes = rule.episodes_of([notice("flagged", 5, flag=flag)])
    found = rule.comeback_episode(episodes, SKILL, WORKED, at(10))
    assert found is not None and found.event_id == episodes[0].event_id


def test_no_comeback_from_a_flag_after_the_mastery_or_on_another_skill() -> None:
    flag = uuid.uuid4()
    late = rule.episodes_of([notice("flagged", 11, flag=flag)])
    assert rule.comeback_episode(late, SKILL, WORKED, at(10)) is None
    other = rule.episodes_of([notice("flagged", 5, flag=flag, skill="4.NF.A.1")])
    assert rule.comeback_episode(other, SKILL, WORKED, at(10)) is None


def test_never_for_a_skill_mastered_before_the_flag() -> None:
    flag = uuid.uuid4()
    episodes = rule.episodes_of([notice("flagged", 5, flag=flag, skill=None)])
    mastered_first = history((0, False), (1, True), (10, True))
    assert rule.comeback_episode(episodes, SKILL, mastered_first, at(10)) is None
    # Lost after the flag and mastered again: still no comeback from a flag raised while the
    # skill was mastered.
    lost_later = history((0, False), (1, True), (6, False), (10, True))
    assert rule.comeback_episode(episodes, SKILL, lost_later, at(10)) is None


def test_only_help_flags_count() -> None:
    for code in ("behind_pace", "no_pathway", "accommodation_not_applied"):
        episodes = rule.episodes_of([notice("flagged", 5, flag=uuid.uuid4(), code=code)])
        assert rule.comeback_episode(episodes, SKILL, WORKED, at(10)) is None, code
    for code in sorted(rule.COMEBACK_FLAGS):
        episodes = rule.episodes_of([notice("flagged", 5, flag=uuid.uuid4(), code=code)])
        assert rule.comeback_episode(episodes, SKILL, WORKED, at(10)) is not None, code


def test_a_learner_wide_flag_counts_for_a_skill_worked_on_before_it() -> None:
    episodes = rule.episodes_of([notice("flagged", 5, flag=uuid.uuid4(), skill=None)])
    assert rule.comeback_episode(episodes, SKILL, WORKED, at(10)) is not None
    started_after = history((6, False), (7, False), (10, True))
    assert rule.comeback_episode(episodes, SKILL, started_after, at(10)) is None


def test_once_per_episode() -> None:
    episodes = rule.episodes_of([notice("flagged", 5, flag=uuid.uuid4(), used=True)])
    assert rule.comeback_episode(episodes, SKILL, WORKED, at(10)) is None


def test_a_cleared_flag_counts_for_a_while_then_not() -> None:
    flag = uuid.uuid4()
    days = rule.COMEBACK_AFTER_CLEAR.days
    raised, cleared = notice("flagged", 5, flag=flag), notice("unflagged", 8, flag=flag)
    # Delivered in any order: the episode comes from the events' own times.
    episodes = rule.episodes_of([cleared, raised])
    assert episodes[0].cleared_at == at(8)
    soon = at(8 + 24 * days)
    mastered_soon = history((0, False), (1, False), (8 + 24 * days, True))
    assert rule.comeback_episode(episodes, SKILL, mastered_soon, soon) is not None
    later = at(8 + 24 * days + 1)
    mastered_late = history((0, False), (1, False), (8 + 24 * days + 1, True))
    assert rule.comeback_episode(episodes, SKILL, mastered_late, later) is None


def test_a_re_raise_ends_the_episode_before_it_and_starts_one() -> None:
    flag = uuid.uuid4()
    first = notice("flagged", 1, flag=flag, skill="4.NF.A.1")
    second = notice("flagged", 3, flag=flag)
    episodes = rule.episodes_of([second, first])
    assert [e.event_id for e in episodes] == [first.event_id, second.event_id]
    assert episodes[0].cleared_at == at(3) and episodes[1].cleared_at is None
    found = rule.comeback_episode(episodes, SKILL, WORKED, at(10))
    assert found is not None and found.event_id == second.event_id


def test_mastered_after() -> None:
    assert rule.mastered_after(WORKED, at(5)) == at(10)
    assert rule.mastered_after(WORKED, at(10)) is None
    # Mastered when the flag came, lost, mastered again: the new mastery.
    again = history((0, True), (6, False), (9, True))
    assert rule.mastered_after(again, at(5)) == at(9)


def test_milestones_and_points() -> None:
    assert rule.milestone_badges(0, 4) == set()
    assert rule.milestone_badges(1, 0) == {rule.FIRST_MASTERY}
    assert rule.milestone_badges(5, 5) == {
        rule.FIRST_MASTERY, "skills_mastered_5", rule.STREAK_FIVE
    }  # fmt: skip
    assert "skills_mastered_10" in rule.milestone_badges(12, 0)
    assert rule.points(answered=7, skills_mastered=2) == 7 + 20
    assert set(rule.BADGES) == {
        "first_mastery", "skills_mastered_5", "skills_mastered_10", "streak_5", "comeback"
    }  # fmt: skip
