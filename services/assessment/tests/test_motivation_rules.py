"""The motivation rules (``domain.motivation``): the forgiving streak, struggles, milestones."""

from datetime import date, timedelta

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


def test_struggle_is_three_wrong_answers_in_a_row() -> None:
    assert rule.struggled([False, False, False, True, True])
    assert rule.struggled([True, False, False, False])
    assert not rule.struggled([False, False, True, False, False, True])
    assert not rule.struggled([])


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
