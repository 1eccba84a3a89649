"""The event envelope every Pathwise event travels in (outbox → gateway → subscribers).

Order (docs/events.md, "Order"): ``sequence`` numbers the events of one ``subject`` 1, 2, 3…
without gaps, and ``previous_event_id`` names the event numbered one before. Both are assigned
when the event is written to the outbox (``pathwise_shared.db.outbox.enqueue_event``), in the
transaction of the change, so ``new_event`` leaves them unset. A subject is only ever written by
one service, so its numbers come from one counter.
"""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = ["EventEnvelope", "new_event"]


class EventEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID = Field(description="UUIDv7: sortable by creation time; the idempotency key")
    type: str = Field(
        min_length=3, max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
    )
    occurred_at: datetime
    district_id: uuid.UUID | None
    subject: str = Field(max_length=200, description="What the event is about, e.g. learner/<id>")
    data: dict[str, Any]
    version: int = Field(1, ge=1)
    # Optional for what was written before sequences existed (outbox rows of an older release).
    sequence: int | None = Field(
        None, ge=1, description="1, 2, 3… per subject, no gaps: orders a subject's events"
    )
    previous_event_id: uuid.UUID | None = Field(
        None, description="The id of the subject's event numbered sequence - 1 (None for 1)"
    )


def new_event(
    type_: str,
    *,
    district_id: uuid.UUID | None,
    subject: str,
    data: dict[str, Any],
    version: int = 1,
) -> EventEnvelope:
    return EventEnvelope(
        id=new_id(),
        type=type_,
        occurred_at=utcnow(),
        district_id=district_id,
        subject=subject,
        data=data,
        version=version,
    )
