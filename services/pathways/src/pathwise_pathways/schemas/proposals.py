"""Bodies of ``/v1/learners/{learner_id}/pathway/proposals``: a plan the learner drafts."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from pathwise_pathways.schemas.common import Code
from pathwise_pathways.schemas.pathways import GoalIn, PathwayOut
from pathwise_shared.inputs import StrictBody

__all__ = [
    "ChoiceIn",
    "ProposalCreate",
    "ProposalDecision",
    "ProposalOut",
    "ProposalPatch",
    "ProposalReturn",
    "RevisionOut",
]

Note = Annotated[str, StringConstraints(max_length=2000)]
Comment = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ChoiceIn(StrictBody):
    skill_code: Code
    activity_id: uuid.UUID


class ProposalCreate(StrictBody):
    goals: list[GoalIn] | None = Field(
        None, min_length=1, max_length=20, description="Goal skills; omitted: your active goals"
    )
    order: list[Code] = Field(
        default_factory=list,
        max_length=200,
        description="Skills in the order you want them (the planner fills in the rest)",
    )
    choices: list[ChoiceIn] = Field(
        default_factory=list, max_length=200, description="Your activity pick per step"
    )
    note: Note = Field("", description="Why this plan, in your words")


class ProposalPatch(StrictBody):
    goals: list[GoalIn] | None = Field(None, min_length=1, max_length=20)
    order: list[Code] | None = Field(None, max_length=200)
    choices: list[ChoiceIn] | None = Field(None, max_length=200)
    note: Note | None = None


class ProposalDecision(StrictBody):
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class ProposalReturn(StrictBody):
    comment: Comment


class RevisionOut(BaseModel):
    revision: int
    change: str
    actor: str
    actor_role: str
    comment: str | None
    content: dict[str, Any]
    created_at: datetime


class ProposalOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    status: str
    version: int
    etag: str
    goals: list[dict[str, Any]]
    order: list[str]
    choices: list[dict[str, Any]]
    note: str
    author: str
    author_role: str
    decided_by: str | None
    decided_at: datetime | None
    pathway_version: int | None
    created_at: datetime
    updated_at: datetime
    revisions: list[RevisionOut]
    pathway: PathwayOut | None = Field(
        None, description="The pathway it became (the approval's answer only)"
    )
