"""Pace forecasts: expected date per goal from activity minutes and pace; on track or at risk."""

from datetime import date

from pathwise_pathways.domain.pace import MINUTES_PER_WEEK, StepLoad, forecast

TODAY = date(2026, 11, 24)


def _steps() -> list[StepLoad]:
    return [
        StepLoad("3.NF.A.1", 40, ("3.NF.A.1",), False),
        StepLoad("3.NF.A.2", 40, ("3.NF.A.2",), False),
        StepLoad("3.NF.A.3", 40, ("3.NF.A.3",), False),
    ]


def test_on_track_when_the_expected_date_is_by_the_target() -> None:
    [goal] = forecast(_steps()[:1], [("3.NF.A.1", date(2027, 1, 31))], pace="steady", today=TODAY)
    # 40 minutes of activity and 20 of checks at 120 minutes a week: 60 / 120 * 7 = 3.5 → 4 days.
    assert goal.remaining_minutes == 60
    assert goal.expected_date == date(2026, 11, 28)
    assert goal.status == "on_track"
    assert goal.reason == "expected 2026-11-28, by the target 2027-01-31"


def test_at_risk_says_why_with_minutes_pace_and_dates() -> None:
    [goal] = forecast(_steps(), [("3.NF.A.3", date(2026, 11, 30))], pace="slower", today=TODAY)
    assert goal.status == "at_risk"
    assert goal.remaining_minutes == 180
    per_week = MINUTES_PER_WEEK["slower"]
    assert goal.expected_date == date(2026, 12, 8)  # 180 / 90 weeks = 14 days
    assert goal.reason == (
        f"needs about 180 more minutes at {per_week} per week (slower pace): "
        "expected 2026-12-08, after the target 2026-11-30"
    )


def test_faster_pace_brings_the_date_forward_and_can_turn_risk_into_on_track() -> None:
    target = date(2026, 12, 5)
    goals = [("3.NF.A.3", target)]
    slower = forecast(_steps(), goals, pace="slower", today=TODAY)[0]
    faster = forecast(_steps(), goals, pace="faster", today=TODAY)[0]
    assert faster.expected_date < slower.expected_date
    assert (slower.status, faster.status) == ("at_risk", "on_track")


def test_extended_time_stretches_the_forecast_but_never_shrinks_it() -> None:
    goals = [("3.NF.A.3", None)]
    plain = forecast(_steps(), goals, pace="steady", today=TODAY)[0]
    extended = forecast(_steps(), goals, pace="steady", today=TODAY, time_factor=2.0)[0]
    shrunk = forecast(_steps(), goals, pace="steady", today=TODAY, time_factor=0.5)[0]
    assert extended.remaining_minutes == 2 * plain.remaining_minutes
    assert shrunk == plain


def test_done_steps_do_not_count_and_a_finished_goal_is_done() -> None:
    steps = _steps()
    steps[0] = StepLoad("3.NF.A.1", 40, ("3.NF.A.1",), True)
    result = forecast(
        steps, [("3.NF.A.1", date(2027, 1, 31)), ("3.NF.A.2", None)], pace="steady", today=TODAY
    )
    assert [(f.status, f.remaining_minutes) for f in result] == [("done", 0), ("on_track", 60)]
    assert result[0].reason == "every step is mastered"
    assert result[1].reason == "no target date"


def test_a_goal_is_reached_with_its_last_step_and_unknown_pace_is_steady() -> None:
    steps = [
        StepLoad("3.NF.A.1", 20, ("3.NF.A.2",), False),
        StepLoad("3.NF.A.2", 20, ("3.NF.A.2",), False),
        StepLoad("3.OA.A.1", 100, ("3.OA.A.1",), False),
    ]
    goals = [("3.NF.A.2", None), ("3.OA.A.1", None)]
    odd = forecast(steps, goals, pace="whenever", today=TODAY)
    steady = forecast(steps, goals, pace="steady", today=TODAY)
    assert odd == steady
    assert [f.remaining_minutes for f in steady] == [60, 210]
