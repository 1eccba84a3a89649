"""Request and response bodies of the webhook management API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Row

from pathwise_shared.inputs import Omittable, StrictBody, StrictBool, StrictInt, Timestamp

__all__ = [
    "MAX_RECORDS",
    "AttemptOut",
    "DeliveryDetail",
    "DeliveryOut",
    "EndpointCreate",
    "EndpointCreated",
    "EndpointOut",
    "EndpointUpdate",
    "InboundAnswer",
    "InboundSecretOut",
    "RecoverBody",
    "RecoverOut",
    "RosterChanges",
    "RotateBody",
    "SecretOut",
]

EventTypeName = Annotated[str, Field(min_length=3, max_length=100)]
Url = Annotated[str, Field(min_length=8, max_length=2000)]
DeliveryStatus = Literal["pending", "succeeded", "failed"]


class EndpointCreate(StrictBody):
    url: Url
    event_types: list[EventTypeName] = Field(
        default_factory=list, max_length=50, description="Empty: every event type"
    )
    description: str = Field("", max_length=500)
    enabled: StrictBool = True


class EndpointUpdate(StrictBody):
    url: Omittable[Url] = None
    event_types: Omittable[list[EventTypeName]] = Field(None, max_length=50)
    description: Omittable[str] = Field(None, max_length=500)
    enabled: Omittable[StrictBool] = None


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Row[Any]) -> "EndpointOut":
        return cls(
            id=row.id,
            url=row.url,
            description=row.description,
            event_types=list(row.event_types or []),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            failing_since=row.failing_since,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The whsec_ signing secret (also shown after a rotation)")


class RotateBody(StrictBody):
    overlap_seconds: StrictInt = Field(
        86400, ge=0, le=7 * 86400, description="How long the old secret keeps signing too"
    )


class SecretOut(BaseModel):
    secret: str
    previous_secret_expires_at: datetime | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Row[Any]) -> "DeliveryOut":
        return cls(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            status=row.status,
            attempt_count=row.attempt_count,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            last_attempt_at=row.last_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )


class AttemptOut(BaseModel):
    id: uuid.UUID
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None

    @classmethod
    def of(cls, row: Row[Any]) -> "AttemptOut":
        return cls(
            id=row.id,
            attempted_at=row.attempted_at,
            succeeded=row.succeeded,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            response_excerpt=row.response_excerpt,
        )


class DeliveryDetail(DeliveryOut):
    attempts: list[AttemptOut]


class RecoverBody(StrictBody):
    since: Timestamp = Field(description="Failed deliveries created at or after this time")


class RecoverOut(BaseModel):
    requeued: int


# The inbound roster hook.

MAX_RECORDS = 10_000


class RosterChanges(StrictBody):
    """OneRoster-shaped records; profiles validates each one."""

    users: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    classes: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    enrollments: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    # Signed with the district's inbound secret like the rest of the batch: whoever holds the
    # secret (issued to a district admin) may push a batch past profiles' mass-change guard, as
    # a district admin may force an upload.
    force: bool = False


class InboundSecretOut(BaseModel):
    secret: str
    previous_secret_expires_at: Any = None


class InboundAnswer(BaseModel):
    status: str = Field(description="applied, or duplicate (this webhook-id was applied before)")
    webhook_id: str
    result: Any = None
