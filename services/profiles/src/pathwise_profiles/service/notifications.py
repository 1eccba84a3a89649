"""Notifications (docs/profiles.md, "Notifications"): events in, one feed row per recipient, and
``notification.created`` out for the email and SMS channels a recipient turned on, now or, during
their quiet hours, when those end (a periodic sweep).

Sources: the gateway's event hub delivers ``mastery.changed``, ``learner.flagged`` and
``message.posted`` to ``POST /internal/events``; ``goal.completed`` is profiles' own and notifies
in the transaction that completes the goal. A redelivered event notifies no one twice (one row
per event and user, inserted with ``ON CONFLICT DO NOTHING``).
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any, cast

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain import notifications as rules
from pathwise_profiles.domain.notifications import Audience, Channel, Kind, QuietHours
from pathwise_profiles.repository import notifications as repo
from pathwise_profiles.schemas.notifications import (
    MarkAllOut,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    QuietHoursOut,
)
from pathwise_profiles.service.events import emit
from pathwise_shared.auth import Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.schedule import run_every
from pathwise_shared.events import EventEnvelope
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import decode_id_cursor, encode_cursor
from pathwise_shared.problems import Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "feed",
    "get_preferences",
    "mark_all_read",
    "mark_read",
    "notify_event",
    "put_preferences",
    "receive_event",
    "run_notification_sweeps",
    "sweep_due",
]


# The order an audience's wording is chosen in when a user is in several (a teacher who is also
# the learner's guardian reads the guardian's text, once).
_AUDIENCE_ORDER: tuple[Audience, ...] = ("learner", "guardians", "teachers", "recipients")
# Per kind, the ids and codes of ``data`` kept on the row (what the feed links to).
_REFS: Mapping[Kind, tuple[str, ...]] = {
    "mastery_milestone": ("skill_code",),
    "goal_completed": ("goal_id",),
    "support_note": ("flag_id", "class_id"),
    "message": ("thread_id",),
    "consent_request": ("activity_id",),
}
_MAX_RECIPIENTS = 200  # a message to more people than this is not a message


def _uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise UnprocessableContent(
            f"The event's {field} is not a UUID.", slug="invalid-event"
        ) from exc


async def receive_event(
    session: AsyncSession,
    principal: Principal,
    envelope: EventEnvelope,
    now: datetime | None = None,
) -> str:
    """An event from the hub: ``notified`` (n rows), ``duplicate`` when every recipient had it
    already, ``ignored`` for a type or change that notifies no one."""
    if not principal.is_system:
        raise Forbidden("Only the system delivers events.", slug="system-only")
    if envelope.district_id is None:
        raise UnprocessableContent("The event names no district.", slug="district-required")
    created, candidates = await notify_event(session, envelope, now=now)
    if candidates == 0:
        return "ignored"
    return "notified" if created else "duplicate"


async def notify_event(
    session: AsyncSession, envelope: EventEnvelope, *, now: datetime | None = None
) -> tuple[int, int]:
    """Notify the recipients of the event's kind, in the caller's transaction: how many rows were
    new and how many recipients there were."""
    kind = rules.kind_of_event(envelope.type, envelope.data)
    if kind is None or envelope.district_id is None:
        return 0, 0
    now = now or utcnow()
    district = envelope.district_id
    data = envelope.data
    learner = _uuid(data.get("learner_id"), "learner_id") if data.get("learner_id") else None
    audiences = rules.AUDIENCES[kind]
    if learner is None and audiences - {"recipients"}:
        raise UnprocessableContent(f"{envelope.type} needs learner_id.", slug="invalid-event")
    members: dict[uuid.UUID, Audience] = {}
    for audience in _AUDIENCE_ORDER:
        if audience not in audiences:
            continue
        for user in await _members(session, district, learner, audience, data, now):
            members.setdefault(user, audience)
    if not members:
        return 0, 0
    prefs = await repo.preferences_of(session, list(members))
    refs = {key: data[key] for key in _REFS[kind] if data.get(key) is not None}
    created = 0
    for user, audience in members.items():
        if await _notify_one(
            session, district, user, kind, audience, learner, envelope.id, refs, data,
            prefs.get(user), now,
        ):  # fmt: skip
            created += 1
    return created, len(members)


async def _members(
    session: AsyncSession,
    district: uuid.UUID,
    learner: uuid.UUID | None,
    audience: Audience,
    data: Mapping[str, Any],
    now: datetime,
) -> list[uuid.UUID]:
    if audience == "recipients":
        raw = data.get("recipient_user_ids") or []
        if not isinstance(raw, list) or len(raw) > _MAX_RECIPIENTS:
            raise UnprocessableContent(
                f"recipient_user_ids must be a list of at most {_MAX_RECIPIENTS} ids.",
                slug="invalid-event",
            )
        author = data.get("author_user_id")
        wanted = [_uuid(v, "recipient_user_ids") for v in raw if str(v) != str(author)]
        # Only users of the event's district: an id from elsewhere notifies no one.
        return await repo.active_users(session, district, wanted)
    assert learner is not None  # notify_event checked it for every audience but recipients
    if audience == "learner":
        own = await repo.learner_user(session, district, learner)
        return [own] if own is not None else []
    if audience == "guardians":
        return await repo.guardians_of(session, district, learner)
    return await repo.teachers_of(session, district, learner, now.date())


def _channels_of(pref: RowMapping | None, kind: Kind) -> dict[Channel, bool]:
    chosen = dict(rules.DEFAULT_CHANNELS)
    stored = (pref["channels"] if pref is not None else None) or {}
    for channel, on in (stored.get(kind) or {}).items():
        if channel in chosen:
            chosen[cast(Channel, channel)] = bool(on)
    return chosen


def _quiet_of(pref: RowMapping | None) -> QuietHours | None:
    if pref is None or not (pref["quiet_start"] and pref["quiet_end"] and pref["time_zone"]):
        return None
    zone = rules.zone_of(pref["time_zone"])
    if zone is None:  # a zone the system's database no longer has: deliver, do not hold forever
        return None
    return QuietHours(
        time.fromisoformat(pref["quiet_start"]), time.fromisoformat(pref["quiet_end"]), zone
    )


async def _notify_one(
    session: AsyncSession,
    district: uuid.UUID,
    user: uuid.UUID,
    kind: Kind,
    audience: Audience,
    learner: uuid.UUID | None,
    event_id: uuid.UUID,
    refs: Mapping[str, Any],
    data: Mapping[str, Any],
    pref: RowMapping | None,
    now: datetime,
) -> bool:
    channels = _channels_of(pref, kind)
    external = [c for c in rules.EXTERNAL_CHANNELS if channels[c]]
    if not channels["in_app"] and not external:
        return False  # the user wants nothing of this kind
    deliver_at = rules.quiet_until(_quiet_of(pref), now) if external else None
    text = rules.text_for(kind, audience, data)
    notification_id = new_id()
    new = await repo.insert_notification(
        session,
        {
            "id": notification_id,
            "district_id": district,
            "user_id": user,
            "kind": kind,
            "learner_id": learner,
            "source_event_id": event_id,
            "title": text.title,
            "body": text.body,
            "refs": dict(refs),
            "in_feed": channels["in_app"],
            "channels": external,
            "deliver_at": deliver_at,
            "delivered_at": now if external and deliver_at is None else None,
            "created_at": now,
            "read_at": None,
        },
    )
    if new and external and deliver_at is None:
        await _emit_created(
            session, district, notification_id, user, kind, external, learner, text.title
        )
    return new


async def _emit_created(
    session: AsyncSession,
    district: uuid.UUID,
    notification_id: uuid.UUID,
    user: uuid.UUID,
    kind: str,
    channels: Sequence[str],
    learner: uuid.UUID | None,
    title: str,
) -> None:
    """``notification.created``: thin (ids, the kind, the channels, a fixed short title the
    district's system may send as is); never the body, names or what the event carried."""
    await emit(
        session,
        "notification.created",
        district,
        f"user/{user}/notifications",
        {
            "notification_id": str(notification_id),
            "user_id": str(user),
            "kind": kind,
            "channels": list(channels),
            "learner_id": str(learner) if learner else None,
            "title": title,
        },
    )


# The feed ---------------------------------------------------------------------------------


def _me(principal: Principal) -> tuple[uuid.UUID, uuid.UUID]:
    if principal.user_id is None or principal.district_id is None:
        raise Forbidden("Only a signed-in user has notifications.", slug="access-denied")
    return principal.district_id, principal.user_id


def _out(row: RowMapping) -> NotificationOut:
    return NotificationOut(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        learner_id=row["learner_id"],
        refs=row["refs"] or {},
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


async def feed(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int, unread: bool
) -> NotificationPage:
    district, user = _me(principal)
    before = decode_id_cursor(cursor)
    rows = await repo.feed(session, district, user, before=before, limit=limit, unread=unread)
    items = list(rows[:limit])
    more = len(rows) > limit
    return NotificationPage(
        items=[_out(r) for r in items],
        next_cursor=encode_cursor(items[-1]["id"]) if more and items else None,
        unread=await repo.unread_count(session, district, user),
    )


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: uuid.UUID
) -> NotificationOut:
    """Someone else's notification is a 404, as if it did not exist."""
    district, user = _me(principal)
    row = await repo.mark_read(session, district, user, notification_id, utcnow())
    if row is None:
        raise NotFound("No such notification.", slug="notification-not-found")
    return _out(row)


async def mark_all_read(session: AsyncSession, principal: Principal) -> MarkAllOut:
    district, user = _me(principal)
    return MarkAllOut(marked=await repo.mark_all_read(session, district, user, utcnow()))


# Preferences ------------------------------------------------------------------------------


def _prefs_out(row: RowMapping | None) -> PreferencesOut:
    channels = {kind: _channels_of(row, kind) for kind in rules.KINDS}
    quiet = None
    if row is not None and row["quiet_start"] and row["quiet_end"] and row["time_zone"]:
        quiet = QuietHoursOut(
            start=row["quiet_start"], end=row["quiet_end"], time_zone=row["time_zone"]
        )
    return PreferencesOut(channels=channels, quiet_hours=quiet)


async def get_preferences(session: AsyncSession, principal: Principal) -> PreferencesOut:
    district, user = _me(principal)
    return _prefs_out(await repo.get_preferences(session, district, user))


async def put_preferences(
    session: AsyncSession, principal: Principal, body: PreferencesIn
) -> PreferencesOut:
    """Replace the user's preferences: kinds and channels not named take the defaults."""
    district, user = _me(principal)
    errors: list[dict[str, str]] = []
    if body.quiet_hours is not None:
        if rules.zone_of(body.quiet_hours.time_zone) is None:
            errors.append(
                {"field": "quiet_hours.time_zone", "message": "not an IANA time zone name"}
            )
        if body.quiet_hours.start == body.quiet_hours.end:
            errors.append({"field": "quiet_hours.end", "message": "equals start (no hours)"})
    if errors:
        raise UnprocessableContent(
            "The notification preferences are not valid.",
            slug="notification-preferences-invalid",
            errors=errors,
        )
    if not await repo.active_users(session, district, [user]):
        # A token of a user the roster no longer has (removed, or disabled since it was issued).
        raise NotFound("No such user in the roster.", slug="user-not-found")
    channels = rules.default_preferences()
    for kind, chosen in body.channels.items():
        channels[kind].update(chosen)
    quiet = body.quiet_hours
    await repo.put_preferences(
        session,
        {
            "user_id": user,
            "district_id": district,
            "channels": channels,
            "quiet_start": quiet.start if quiet else None,
            "quiet_end": quiet.end if quiet else None,
            "time_zone": quiet.time_zone if quiet else None,
            "updated_at": utcnow(),
        },
    )
    return _prefs_out(await repo.get_preferences(session, district, user))


# Deferred delivery ------------------------------------------------------------------------


async def sweep_due(
    session: AsyncSession, *, now: datetime | None = None, batch_size: int = 500
) -> int:
    """Write ``notification.created`` for every delivery whose quiet hours have ended; how many.
    The caller's unit of work commits the claims and the events together."""
    now = now or utcnow()
    sent = 0
    while True:
        rows = await repo.claim_due(session, now, batch_size)
        for row in rows:
            await _emit_created(
                session, row.district_id, row.id, row.user_id, row.kind, row.channels,
                row.learner_id, row.title,
            )  # fmt: skip
        sent += len(rows)
        if len(rows) < batch_size:
            return sent


async def run_notification_sweeps(
    db: Database, interval_seconds: float, rounds: int | None = None
) -> None:
    """The schedule: a sweep every ``interval_seconds`` (``rounds`` bounds it, for tests)."""
    await run_every(
        db,
        interval_seconds,
        sweep_due,
        name="notification sweep",
        done_message="%d deliveries after quiet hours",
        rounds=rounds,
    )
