"""Notifications, the pure part (docs/profiles.md, "Notifications"): which events make which kind
of notification, who receives each kind, what it says, the default preferences, and quiet hours.

Nothing here reads a database or a clock: the service passes ``now`` in, so the quiet-hours
arithmetic is tested across midnight and daylight-saving changes without waiting for either.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "AUDIENCES",
    "CHANNELS",
    "DEFAULT_CHANNELS",
    "EVENT_KINDS",
    "EXTERNAL_CHANNELS",
    "KINDS",
    "Audience",
    "Channel",
    "Kind",
    "QuietHours",
    "Text",
    "default_preferences",
    "is_mastery_milestone",
    "kind_of_event",
    "quiet_until",
    "text_for",
    "zone_of",
]

Kind = Literal["mastery_milestone", "goal_completed", "support_note", "message", "consent_request"]
Channel = Literal["in_app", "email", "sms"]
# ``recipients``: the users the event itself names (a message's recipients), nobody else.
Audience = Literal["learner", "guardians", "teachers", "recipients"]

KINDS: tuple[Kind, ...] = get_args(Kind)
CHANNELS: tuple[Channel, ...] = get_args(Channel)
# Channels another system delivers (through ``notification.created``); in_app is our own feed.
EXTERNAL_CHANNELS: tuple[Channel, ...] = ("email", "sms")

# Who receives each kind. Teachers are not told of every skill a learner masters (thirty learners
# a class: their dashboards show it); the learner is never told they were flagged (the flag is
# for the adults who can help); consent is a guardian's to give.
AUDIENCES: Mapping[Kind, frozenset[Audience]] = {
    "mastery_milestone": frozenset({"learner", "guardians"}),
    "goal_completed": frozenset({"learner", "guardians", "teachers"}),
    "support_note": frozenset({"guardians"}),
    "message": frozenset({"recipients"}),
    "consent_request": frozenset({"guardians"}),
}

# Which event types notify, by kind. ``consent.requested``: pathways, the first time choosing an
# off-site activity for the learner is refused for want of a guardian's consent.
EVENT_KINDS: Mapping[str, Kind] = {
    "mastery.changed": "mastery_milestone",
    "goal.completed": "goal_completed",
    "learner.flagged": "support_note",
    "message.posted": "message",
    "consent.requested": "consent_request",
}

# Defaults: the feed on for every kind; email and SMS off until the user turns them on (a
# district's SMS system must not text someone who never asked, and learners are children).
DEFAULT_CHANNELS: Mapping[Channel, bool] = {"in_app": True, "email": False, "sms": False}


def default_preferences() -> dict[Kind, dict[Channel, bool]]:
    return {kind: dict(DEFAULT_CHANNELS) for kind in KINDS}


def is_mastery_milestone(data: Mapping[str, Any]) -> bool:
    """A skill became mastered: ``mastered`` now and not before. Every other update (P(known)
    moving, a level changing, mastery lost) is not a milestone."""
    return data.get("mastered") is True and data.get("previous_mastered") is not True


def kind_of_event(event_type: str, data: Mapping[str, Any]) -> Kind | None:
    kind = EVENT_KINDS.get(event_type)
    if kind == "mastery_milestone" and not is_mastery_milestone(data):
        return None
    return kind


@dataclass(frozen=True)
class Text:
    title: str
    body: str


def text_for(kind: Kind, audience: Audience, data: Mapping[str, Any]) -> Text:
    """What the feed shows. Ids and codes only, never a name, a note or a message's text (the
    feed links to the thing itself, read with the reader's own rights). A flag is worded as a
    note about support, never as a risk or a label."""
    if kind == "mastery_milestone":
        skill = str(data.get("skill_code") or "a skill")
        if audience == "learner":
            return Text("You mastered a skill", f"You mastered {skill}. Well done!")
        return Text("A skill was mastered", f"Your learner mastered {skill}.")
    if kind == "goal_completed":
        if audience == "learner":
            return Text("You completed a goal", "You reached one of your goals.")
        if audience == "teachers":
            return Text("A learner completed a goal", "A learner you teach reached a goal.")
        return Text("A goal was completed", "Your learner reached one of their goals.")
    if kind == "support_note":
        return Text(
            "A note about support",
            "Your learner's teacher is looking at some extra support in class. "
            "You may hear from them; you can also reach out any time.",
        )
    if kind == "message":
        return Text("New message", "You have a new message.")
    return Text("Consent requested", "An activity for your learner needs your consent.")


def zone_of(name: str) -> ZoneInfo | None:
    """The IANA time zone of that name, or None for anything else (a path, a POSIX TZ string,
    a name the system's database does not have)."""
    # ``available_timezones`` first: ZoneInfo alone would also open files named like "../x".
    if name not in _zones():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@cache
def _zones() -> frozenset[str]:
    # Read once: the zone database does not change under a running process.
    return frozenset(available_timezones())


@dataclass(frozen=True)
class QuietHours:
    """Local ``start``..``end`` in ``zone``; ``start > end`` spans midnight (22:00..07:00)."""

    start: time
    end: time
    zone: ZoneInfo

    def covers(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """When the quiet hours that hold at ``now`` (UTC) end, in UTC; None when they do not hold.

    The end is the wall-clock ``end`` in the zone on the right local day: today when the local
    time is before it, else tomorrow (a window across midnight entered in the evening). A wall
    time that does not exist that day (skipped by a spring-forward change) is read with the
    offset before the change (02:30 that night is 03:30 daylight time); one that happens twice
    (fall back) is its first occurrence."""
    if quiet is None:
        return None
    local = now.astimezone(quiet.zone)
    wall = local.time().replace(tzinfo=None)
    if not quiet.covers(wall):
        return None
    day = local.date() if wall < quiet.end else local.date() + timedelta(days=1)
    end = datetime.combine(day, quiet.end, tzinfo=quiet.zone).astimezone(UTC)
    # The end must lie ahead (a wall time resolved across a change could land behind ``now``).
    return end if end > now else None
