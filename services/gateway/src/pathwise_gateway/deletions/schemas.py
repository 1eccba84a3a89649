"""The deletion job's answers."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pathwise_gateway.deletions.domain import DELETION_STEPS

__all__ = ["DeletionIn", "DeletionJobOut"]

_EXAMPLE_CERTIFICATE: dict[str, Any] = {
    "deletion_id": "0193a1f0-0000-7000-8000-000000000002",
    "district_id": "0193a1f0-0000-7000-8000-0000000000d1",
    "tombstone": "5e1c…",
    "requested_by": "0193a1f0-0000-7000-8000-0000000000a1",
    "origin": "request",
    "retention": None,
    "requested_at": "2026-11-30T12:00:00+00:00",
    "completed_at": "2026-11-30T12:00:03+00:00",
    "services": {
        "profiles": {"deleted": {"users": 1, "goals": 3}, "pseudonymized": {}, "files_deleted": 0}
    },
    "rows_deleted": 4,
    "files_deleted": 0,
    "resumed": False,
}


class DeletionIn(BaseModel):
    """The learner's id again: an erase cannot be undone, so a request that does not name the
    learner twice (a wrong path, a replayed body) is refused before anything happens."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"confirm_learner_id": "0193a1f0-0000-7000-8000-0000000000aa"}]
        },
    )

    confirm_learner_id: uuid.UUID = Field(description="The same learner id as in the path")


class DeletionJobOut(BaseModel):
    """A learner deletion: queued, running, then succeeded (with its certificate); failed
    (``error``) while a step waits to be tried again; refused when a service refused it. Never
    the learner's id: the tombstone names them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a1f0-0000-7000-8000-000000000002",
                    "state": "succeeded",
                    "tombstone": "5e1c…",
                    "requested_by": "0193a1f0-0000-7000-8000-0000000000a1",
                    "origin": "request",
                    "created_at": "2026-11-30T12:00:00Z",
                    "started_at": "2026-11-30T12:00:01Z",
                    "finished_at": "2026-11-30T12:00:03Z",
                    "services_done": ["profiles", "pathways", "assessment", "gateway"],
                    "certificate": dict(_EXAMPLE_CERTIFICATE),
                    "error": None,
                }
            ]
        }
    )

    id: uuid.UUID
    state: Literal["queued", "running", "succeeded", "failed", "refused"] = Field(
        examples=["running"],
        description="failed: a step failed and is tried again by itself; refused: a service "
        "refused (a legal hold set meanwhile), ended, nothing more is erased",
    )
    tombstone: str = Field(
        description="sha256 of a server secret, the district and the learner's id"
    )
    requested_by: str = Field(
        description="The district administrator's subject, or ``retention policy``"
    )
    origin: Literal["request", "retention"] = Field(
        description="request: a district administrator asked; retention: the district's "
        "retention policy made the learner due"
    )
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    services_done: list[str] = Field(description="The services whose erase is recorded as done")
    certificate: dict[str, Any] | None = Field(
        None, description="Once succeeded: what was erased, per service and table"
    )
    error: str | None = None

    @classmethod
    def of(cls, row: Any) -> "DeletionJobOut":
        job = dict(row)
        return cls(
            id=job["id"],
            state=job["state"],
            tombstone=job["tombstone"],
            requested_by=job["requested_by"],
            origin=job["origin"],
            created_at=job["created_at"],
            started_at=job.get("started_at"),
            finished_at=job.get("finished_at"),
            services_done=sorted(s for s in job.get("progress") or {} if s in DELETION_STEPS),
            certificate=job.get("certificate"),
            error=job.get("error"),
        )
