"""Notification feed and preference bodies (docs/profiles.md, "Notifications")."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pathwise_profiles.domain.notifications import Channel, Kind
from pathwise_shared.inputs import StrictBody, StrictBool

__all__ = [
    "MarkAllOut",
    "NotificationOut",
    "NotificationPage",
    "PreferencesIn",
    "PreferencesOut",
    "QuietHoursIn",
    "QuietHoursOut",
]

# "HH:MM", 24-hour local wall time.
LocalTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
ZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class NotificationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193f5a0-7c1e-7a3b-9d2f-4b8c6e1a2d30",
                    "kind": "mastery_milestone",
                    "title": "A skill was mastered",
                    "body": "Your learner mastered 3.OA.C.7.",
                    "learner_id": "5b1f3c2a-9d8e-4f7a-8b6c-1d2e3f4a5b6c",
                    "refs": {"skill_code": "3.OA.C.7"},
                    "created_at": "2026-12-30T15:04:05Z",
                    "read_at": "2026-12-30T16:20:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    kind: Kind
    title: str
    body: str
    learner_id: uuid.UUID | None = Field(description="The learner it is about, if any")
    refs: dict[str, Any] = Field(
        description="Ids and codes of what it is about (skill_code, goal_id, flag_id, "
        "thread_id, activity_id): read the thing itself with your own rights"
    )
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = None
    unread: int = Field(description="How many of your notifications are unread (all pages)")


class MarkAllOut(BaseModel):
    marked: int = Field(description="How many were unread and are read now")


class QuietHoursIn(StrictBody):
    start: LocalTime = Field(description="Local start, HH:MM (24 h)")
    end: LocalTime = Field(description="Local end, HH:MM; before start spans midnight")
    time_zone: ZoneName = Field(description="IANA time zone, e.g. America/Chicago")


class QuietHoursOut(BaseModel):
    start: str
    end: str
    time_zone: str


class PreferencesIn(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channels": {
                        "mastery_milestone": {"in_app": True, "email": True, "sms": False},
                        "support_note": {"in_app": True, "email": True, "sms": True},
                    },
                    "quiet_hours": {
                        "start": "21:00",
                        "end": "07:00",
                        "time_zone": "America/Chicago",
                    },
                }
            ]
        }
    )

    channels: dict[Kind, dict[Channel, StrictBool]] = Field(
        default_factory=dict,
        description="Per kind, per channel on/off; kinds and channels not named keep their "
        "defaults (in_app on, email and sms off)",
    )
    quiet_hours: QuietHoursIn | None = Field(
        None, description="External delivery (email, sms) waits until they end; null: none"
    )


class PreferencesOut(BaseModel):
    channels: dict[Kind, dict[Channel, bool]] = Field(description="Every kind, every channel")
    quiet_hours: QuietHoursOut | None
