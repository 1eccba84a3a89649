"""Assessment bodies: create, edit, read."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pathwise_assessment.schemas.common import OwnerOut, SkillCodes
from pathwise_shared.inputs import StrictBody, StrictInt, StrictNumber

__all__ = [
    "AssessmentCreate",
    "AssessmentOut",
    "AssessmentUpdate",
]


class AssessmentCreate(StrictBody):
    kind: Literal["skill_check", "summative", "adaptive", "diagnostic"]
    title: str = Field(min_length=1, max_length=200)
    skill_codes: SkillCodes
    item_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="Fixed forms (skill checks, summative)"
    )
    time_limit_seconds: StrictInt | None = Field(None, ge=30, le=6 * 3600)
    max_items: StrictInt | None = Field(None, ge=1, le=100, description="Adaptive / diagnostic")
    target_se: StrictNumber | None = Field(
        None, gt=0.05, le=2.0, description="Adaptive / diagnostic"
    )


class AssessmentUpdate(StrictBody):
    """What may change on an assessment (its kind, skills and items are fixed: attempts read
    them). A field left out is unchanged; ``time_limit_seconds: null`` removes the limit."""

    title: str | None = Field(None, min_length=1, max_length=200)
    time_limit_seconds: int | None = Field(None, ge=30, le=6 * 3600)
    max_items: int | None = Field(None, ge=1, le=100, description="Adaptive / diagnostic")
    target_se: float | None = Field(None, gt=0.05, le=2.0, description="Adaptive / diagnostic")


class AssessmentOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    skill_codes: list[str]
    item_ids: list[uuid.UUID]
    time_limit_seconds: int | None
    max_items: int | None
    target_se: float | None
    owner: OwnerOut
    created_at: datetime
