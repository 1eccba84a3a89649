"""Notifications, the pure rules: audiences per kind, which events notify, quiet-hours arithmetic
(across midnight and daylight-saving changes) and the wording of a support note."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pathwise_profiles.domain.notifications import (
    AUDIENCES,
    DEFAULT_CHANNELS,
    KINDS,
    QuietHours,
    default_preferences,
    is_mastery_milestone,
    kind_of_event,
    quiet_until,
    text_for,
    zone_of,
)

CHICAGO = ZoneInfo("America/Chicago")
NIGHT = QuietHours(time(21, 0), time(7, 0), CHICAGO)  # spans midnight
LUNCH = QuietHours(time(12, 0), time(13, 0), ZoneInfo("UTC"))


def test_every_kind_has_an_audience_and_the_table_says_who() -> None:
    assert set(AUDIENCES) == set(KINDS)
    assert AUDIENCES["mastery_milestone"] == {"learner", "guardians"}
    assert AUDIENCES["goal_completed"] == {"learner", "guardians", "teachers"}
    # The learner is never told they were flagged; consent is a guardian's.
    assert AUDIENCES["support_note"] == {"guardians"}
    assert AUDIENCES["consent_request"] == {"guardians"}
    assert AUDIENCES["message"] == {"recipients"}


@pytest.mark.parametrize(
    ("data", "milestone"),
    [
        ({"mastered": True, "previous_mastered": False}, True),
        ({"mastered": True}, True),  # no previous state known: first mastery
        ({"mastered": True, "previous_mastered": True}, False),  # an update while mastered
        ({"mastered": False, "previous_mastered": True}, False),  # mastery lost
        ({"mastered": False, "previous_mastered": False}, False),
        ({"mastered": "true", "previous_mastered": False}, False),  # not a boolean
    ],
)
def test_only_a_skill_becoming_mastered_is_a_milestone(
    data: dict[str, object], milestone: bool
) -> None:
    assert is_mastery_milestone(data) is milestone
    assert (kind_of_event("mastery.changed", data) == "mastery_milestone") is milestone


def test_event_types_map_to_kinds() -> None:
    assert kind_of_event("goal.completed", {}) == "goal_completed"
    assert kind_of_event("learner.flagged", {}) == "support_note"
    assert kind_of_event("message.posted", {}) == "message"
    assert kind_of_event("learner.unflagged", {}) is None
    assert kind_of_event("pathway.planned", {}) is None


def test_defaults_are_the_feed_only() -> None:
    assert DEFAULT_CHANNELS == {"in_app": True, "email": False, "sms": False}
    prefs = default_preferences()
    assert set(prefs) == set(KINDS)
    prefs["message"]["email"] = True  # a copy: the defaults do not change
    assert default_preferences()["message"]["email"] is False


def test_a_support_note_never_says_risk() -> None:
    text = text_for("support_note", "guardians", {"code": "behind_pace"})
    words = f"{text.title} {text.body}".lower()
    assert "risk" not in words and "behind" not in words and "flag" not in words
    assert "support" in words


def test_texts_carry_no_more_than_codes() -> None:
    text = text_for("mastery_milestone", "guardians", {"skill_code": "3.OA.C.7", "p_known": 0.97})
    assert "3.OA.C.7" in text.body and "0.97" not in text.body
    assert text_for("mastery_milestone", "learner", {"skill_code": "X"}).title.startswith("You")


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_outside_quiet_hours_nothing_waits() -> None:
    assert quiet_until(None, _utc(2026, 6, 1, 3, 0)) is None
    # 15:00 in Chicago (CDT, UTC-5) = 20:00 UTC.
    assert quiet_until(NIGHT, _utc(2026, 6, 1, 20, 0)) is None
    assert quiet_until(LUNCH, _utc(2026, 6, 1, 13, 0)) is None  # the end itself is not quiet
    assert quiet_until(LUNCH, _utc(2026, 6, 1, 11, 59)) is None


def test_quiet_hours_across_midnight() -> None:
    # 22:30 CDT on June 1 (03:30 UTC June 2): waits until 07:00 CDT June 2 = 12:00 UTC.
    assert quiet_until(NIGHT, _utc(2026, 6, 2, 3, 30)) == _utc(2026, 6, 2, 12, 0)
    # 02:00 CDT on June 2 (07:00 UTC): the same morning.
    assert quiet_until(NIGHT, _utc(2026, 6, 2, 7, 0)) == _utc(2026, 6, 2, 12, 0)
    # 21:00 sharp is quiet already.
    assert quiet_until(NIGHT, _utc(2026, 6, 2, 2, 0)) == _utc(2026, 6, 2, 12, 0)


def test_quiet_hours_within_a_day() -> None:
    assert quiet_until(LUNCH, _utc(2026, 6, 1, 12, 0)) == _utc(2026, 6, 1, 13, 0)
    assert quiet_until(LUNCH, _utc(2026, 6, 1, 12, 59)) == _utc(2026, 6, 1, 13, 0)


def test_quiet_hours_over_the_spring_forward_night() -> None:
    # 2026-03-08: Chicago goes from 02:00 CST to 03:00 CDT. 23:00 CST Mar 7 = 05:00 UTC Mar 8;
    # 07:00 CDT Mar 8 = 12:00 UTC (not 13:00: the night is an hour shorter).
    assert quiet_until(NIGHT, _utc(2026, 3, 8, 5, 0)) == _utc(2026, 3, 8, 12, 0)


def test_quiet_hours_over_the_fall_back_night() -> None:
    # 2026-11-01: 02:00 CDT becomes 01:00 CST. 23:00 CDT Oct 31 = 04:00 UTC Nov 1;
    # 07:00 CST Nov 1 = 13:00 UTC (the night is an hour longer).
    assert quiet_until(NIGHT, _utc(2026, 11, 1, 4, 0)) == _utc(2026, 11, 1, 13, 0)


def test_an_end_inside_the_skipped_hour() -> None:
    # Quiet until 02:30, which does not exist on 2026-03-08 in Chicago: read with the offset
    # before the change (CST, UTC-6) it is 08:30 UTC, i.e. 03:30 CDT.
    quiet = QuietHours(time(22, 0), time(2, 30), CHICAGO)
    assert quiet_until(quiet, _utc(2026, 3, 8, 6, 0)) == _utc(2026, 3, 8, 8, 30)


def test_zone_names_are_checked() -> None:
    assert zone_of("America/Chicago") == CHICAGO
    assert zone_of("UTC") is not None
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "America/", "EST5EDT,M3.2.0,M11.1.0"):
        assert zone_of(bad) is None, bad
