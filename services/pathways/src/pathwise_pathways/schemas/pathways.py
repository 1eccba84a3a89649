"""Bodies of ``/v1/learners/{learner_id}/pathway``: plan, choose, override, the pathway out."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pathwise_pathways.schemas.common import Code
from pathwise_shared.inputs import Day, StrictBody, StrictBool

__all__ = [
    "BoardEntryOut",
    "ChoiceRequest",
    "GoalForecastOut",
    "GoalIn",
    "OverrideRequest",
    "PathwayOut",
    "PlacedAnswerOut",
    "PlacementOut",
    "PlanRequest",
    "StepOut",
    "VersionOut",
]

Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class GoalIn(StrictBody):
    skill_code: Code
    target_date: Day | None = None


class PlanRequest(StrictBody):
    goals: list[GoalIn] | None = Field(
        None, max_length=20, description="Goal skills; omitted: the learner's active goals"
    )
    requires_approval: StrictBool = Field(
        False, description="Start as a draft a teacher must approve"
    )
    assume_prior_grades: StrictBool = Field(
        False,
        description="Off by default: skills are skipped on evidence only (mastery, or a "
        "diagnostic's placement). On: skills two or more grades below the learner's also count "
        "as mastered unless assessment has evidence they are not, for a teacher who wants it",
    )
    reason: Reason = "planned"


class BoardEntryOut(BaseModel):
    activity_id: uuid.UUID
    title: str
    format: str
    minutes: int
    score: float
    reasons: list[str]


class PlacedAnswerOut(BaseModel):
    item_id: uuid.UUID
    correct: bool


class PlacementOut(BaseModel):
    """The evidence a diagnostic placed a step's skill on."""

    attempt_id: uuid.UUID
    assessment_id: uuid.UUID
    finished_at: datetime
    theta: float
    p_correct: float = Field(description="Chance of a right answer on the skill's typical item")
    items: list[PlacedAnswerOut] = Field(description="The answers on items of the skill")
    unplaced: bool = Field(description="A teacher revoked this placement (the step is planned)")


class StepOut(BaseModel):
    id: uuid.UUID
    skill_code: str
    title: str
    position: int
    status: str
    goal_codes: list[str]
    due_date: date | None
    pinned: bool
    inserted: bool
    teacher_rank: int | None
    choice_locked: bool
    chosen_activity_id: uuid.UUID | None
    board: list[BoardEntryOut]
    mastered_at: datetime | None
    placement: PlacementOut | None = None


class GoalForecastOut(BaseModel):
    skill_code: str
    target_date: date | None
    expected_date: date
    remaining_minutes: int
    status: str
    reason: str


class GoalProgressOut(BaseModel):
    skill_code: str
    target_date: date | None
    needed: int = Field(
        description="Skills the goal needs: its target and the prerequisites planned for it"
    )
    mastered: int
    placed: int
    progress: float = Field(description="(mastered + placed) / needed, 0..1")


class PathwayOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    status: str
    version: int
    goals: list[dict[str, Any]]
    steps: list[StepOut]
    pace: list[GoalForecastOut]
    goal_progress: list[GoalProgressOut] = Field(
        default_factory=list,
        description="Per goal, the share of its needed skills mastered or placed (from mastery)",
    )
    approved_by: str | None
    updated_at: datetime


class ChoiceRequest(StrictBody):
    activity_id: uuid.UUID


class OverrideRequest(StrictBody):
    action: Literal[
        "pin", "unpin", "skip", "unskip", "insert", "reorder", "lock", "unlock", "place", "unplace"
    ]
    reason: Reason
    step_id: uuid.UUID | None = None
    skill_code: Code | None = Field(None, description="insert: the skill of the new step")
    order: list[uuid.UUID] | None = Field(
        None, max_length=2000, description="reorder: step ids of open steps in the new order"
    )
    activity_id: uuid.UUID | None = Field(None, description="lock: the activity to lock in")


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    change: str
    actor: str
    actor_kind: str
    actor_role: str | None = Field(
        None, description="The role the change was made in (student: a learner's own plan)"
    )
    proposal_id: uuid.UUID | None = None
    reason: str
    steps: list[dict[str, Any]]
    created_at: datetime
