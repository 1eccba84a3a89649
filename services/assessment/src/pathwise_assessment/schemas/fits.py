"""Fitting-run bodies: start one, read one."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pathwise_shared.inputs import StrictBody, StrictInt

__all__ = [
    "FitCreate",
    "FitOut",
]


class FitCreate(StrictBody):
    min_responses: StrictInt = Field(50, ge=10, le=1_000_000, description="Skip skills with fewer")


class FitOut(BaseModel):
    id: uuid.UUID
    status: str
    min_responses: int
    response_count: int
    skill_count: int
    results: dict[str, Any] | None
    report: dict[str, Any] | None = Field(
        None,
        description="Per skill: status (accepted, shrunk, rejected), reasons, the raw fit, the "
        "stored values, the shrinkage weight and the evidence (runs before issue 14: null)",
    )
    district: dict[str, Any] | None = Field(
        None, description="The district parameters thin skills were shrunk toward"
    )
    error: str | None
    created_at: datetime
    finished_at: datetime | None
