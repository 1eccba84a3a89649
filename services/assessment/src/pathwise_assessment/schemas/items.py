"""Item bodies: create, edit (a new version), read."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from pathwise_assessment.domain.items import ItemSpec
from pathwise_assessment.schemas.common import OwnerOut, SkillCode
from pathwise_shared.inputs import StrictBody, StrictNumber

__all__ = [
    "ItemCreate",
    "ItemOut",
    "ItemUpdate",
]


class ItemCreate(StrictBody):
    stem: str = Field(min_length=1, max_length=5000)
    skill_codes: Annotated[list[SkillCode], Field(min_length=1, max_length=5)]
    points: StrictNumber = Field(1.0, gt=0, le=100, allow_inf_nan=False)
    difficulty: StrictNumber = Field(0.0, ge=-6, le=6, allow_inf_nan=False, description="IRT b")
    discrimination: StrictNumber = Field(
        1.0, gt=0, le=5, allow_inf_nan=False, description="IRT a (2PL)"
    )
    spec: ItemSpec


class ItemUpdate(ItemCreate):
    """An edit: a full new version (the item's type cannot change)."""


class ItemOut(BaseModel):
    id: uuid.UUID
    version: int
    type: str
    status: str
    stem: str
    skill_codes: list[str]
    points: float
    difficulty: float
    discrimination: float
    spec: dict[str, Any]
    owner: OwnerOut
    created_at: datetime
    updated_at: datetime
