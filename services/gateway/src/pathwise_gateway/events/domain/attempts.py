"""One delivery attempt, without I/O: the body a district receives and the outcome the
dispatcher records."""

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pathwise_gateway.events.domain.catalog import thin_data
from pathwise_gateway.events.domain.schedule import Verdict

__all__ = [
    "EXCERPT_BYTES",
    "INTERNAL_BATCH_PATH",
    "INTERNAL_PATH",
    "AttemptResult",
    "webhook_body",
]

EXCERPT_BYTES = 300
INTERNAL_PATH = "/internal/events"
# Several deliveries to one internal subscriber in one request (pathwise_shared.subscriber).
INTERNAL_BATCH_PATH = "/internal/events/batch"


def webhook_body(envelope: Mapping[str, Any]) -> bytes:
    """The JSON a district receives: the envelope with only the catalogued ``data`` fields."""
    body = {
        "id": envelope["id"],
        "type": envelope["type"],
        "occurred_at": envelope["occurred_at"],
        "district_id": envelope.get("district_id"),
        "subject": envelope.get("subject"),
        "data": thin_data(str(envelope["type"]), dict(envelope.get("data") or {})),
        "version": envelope.get("version", 1),
        # Order (docs/events.md): per subject; None only for events made before sequences.
        "sequence": envelope.get("sequence"),
        "previous_event_id": envelope.get("previous_event_id"),
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID | None
    attempt_count: int
    attempted_at: datetime
    verdict: Verdict
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None
    attempted: bool = True  # False: nothing was sent (endpoint disabled meanwhile)
    failing_since: datetime | None = None
    # When the attempt ended: the retry schedule counts from here (None: when recorded).
    finished_at: datetime | None = None
