"""Bodies of ``/v1/classes/{class_id}``: grouping, assignments, insights."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pathwise_pathways.schemas.common import Code
from pathwise_pathways.schemas.flags import FlagOut
from pathwise_shared.inputs import StrictBody, StrictInt

__all__ = [
    "AssignedActivityOut",
    "AssignmentIn",
    "AssignmentRequest",
    "AssignmentsOut",
    "GroupOut",
    "GroupingOut",
    "GroupingRequest",
    "InsightOut",
    "InsightsOut",
]


class GroupingRequest(StrictBody):
    strategy: Literal["next_skill", "mastery_band"] = "next_skill"
    min_size: StrictInt = Field(2, ge=1, le=100)
    max_size: StrictInt = Field(6, ge=1, le=100)
    skill_codes: list[Code] | None = Field(
        None, max_length=200, description="mastery_band: the skills to average mastery over"
    )


class AssignedActivityOut(BaseModel):
    id: uuid.UUID
    title: str


class GroupOut(BaseModel):
    index: int
    label: str
    skill_codes: list[str]
    learner_ids: list[uuid.UUID]
    activity: AssignedActivityOut | None = Field(
        None, description="The activity assigned to the whole group, if any"
    )


class GroupingOut(BaseModel):
    id: uuid.UUID
    class_id: uuid.UUID
    strategy: str
    groups: list[GroupOut]
    created_by: str
    created_at: datetime


class AssignmentIn(StrictBody):
    group_index: StrictInt = Field(ge=0, le=1000)
    activity_id: uuid.UUID


class AssignmentRequest(StrictBody):
    assignments: list[AssignmentIn] = Field(min_length=1, max_length=200)


class AssignmentsOut(BaseModel):
    grouping_id: uuid.UUID
    assigned: int
    pathways_updated: int


class InsightOut(BaseModel):
    learner_id: uuid.UUID
    display_name: str | None
    flags: list[FlagOut]


class InsightsOut(BaseModel):
    class_id: uuid.UUID
    learners: list[InsightOut]
