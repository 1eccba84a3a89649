"""The export job's answers."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ExportJobOut"]


class ExportJobOut(BaseModel):
    """A learner export: queued, running, then succeeded (download it) or failed (``error``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0193a1f0-0000-7000-8000-000000000001",
                    "learner_id": "0193a1f0-0000-7000-8000-0000000000aa",
                    "state": "succeeded",
                    "requested_role": "guardian",
                    "created_at": "2026-11-30T12:00:00Z",
                    "started_at": "2026-11-30T12:00:01Z",
                    "finished_at": "2026-11-30T12:00:04Z",
                    "expires_at": "2026-12-03T12:00:04Z",
                    "size_bytes": 48213,
                    "sha256": "9f2c…",
                    "counts": {"profiles": {"goals": 3}},
                    "error": None,
                    "download": "/v1/learners/0193a1f0-0000-7000-8000-0000000000aa/exports/"
                    "0193a1f0-0000-7000-8000-000000000001/download",
                }
            ]
        }
    )

    id: uuid.UUID
    learner_id: uuid.UUID
    state: Literal["queued", "running", "succeeded", "failed", "expired"] = Field(
        examples=["running"]
    )
    requested_role: str = Field(examples=["guardian"])
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = Field(None, description="The zip can be downloaded until then")
    size_bytes: int | None = None
    sha256: str | None = Field(None, description="Of the whole zip")
    counts: dict[str, dict[str, int]] | None = Field(
        None, description="Rows per service and table (as in the zip's manifest.json)"
    )
    error: str | None = None
    download: str | None = Field(None, description="Where to download the zip, once succeeded")

    @classmethod
    def of(cls, row: Any) -> "ExportJobOut":
        job = dict(row)
        link = None
        if job["state"] == "succeeded":
            link = f"/v1/learners/{job['learner_id']}/exports/{job['id']}/download"
        return cls(
            id=job["id"],
            learner_id=job["learner_id"],
            state=job["state"],
            requested_role=job["requested_role"],
            created_at=job["created_at"],
            started_at=job.get("started_at"),
            finished_at=job.get("finished_at"),
            expires_at=job.get("expires_at"),
            size_bytes=job.get("size_bytes"),
            sha256=job.get("sha256"),
            counts=job.get("counts"),
            error=job.get("error"),
            download=link,
        )
