"""Attempt bodies: start, answer, rubric score, read, next adaptive item, owner lookup."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from pathwise_shared.inputs import StrictBody, StrictNumber

__all__ = [
    "Ability",
    "AnswerIn",
    "AttemptCreate",
    "AttemptItemOut",
    "AttemptOut",
    "NextItemOut",
    "ObjectOwner",
    "ResponseOut",
    "RubricScoreIn",
]


class ObjectOwner(BaseModel):
    learner_id: uuid.UUID


class AttemptCreate(StrictBody):
    learner_id: uuid.UUID


class AnswerIn(StrictBody):
    answer: dict[str, Any] = Field(
        description="Shape depends on the item type (docs/assessment.md)"
    )


class RubricScoreIn(StrictBody):
    criteria: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=40)],
        Annotated[StrictNumber, Field(ge=0, le=100, allow_inf_nan=False)],
    ] = Field(min_length=1, max_length=10)
    comment: str | None = Field(None, max_length=2000)


class ResponseOut(BaseModel):
    id: uuid.UUID
    item_id: uuid.UUID
    status: Literal["recorded", "scored", "pending"]
    answer: dict[str, Any]
    earned: float | None = None
    possible: float | None = None
    correct: bool | None = None
    created_at: datetime


class AttemptItemOut(BaseModel):
    item_id: uuid.UUID
    version: int
    position: int
    type: str
    stem: str
    points: float
    skill_codes: list[str]
    spec: dict[str, Any]


class Ability(BaseModel):
    theta: float
    se: float


class AttemptOut(BaseModel):
    id: uuid.UUID
    assessment_id: uuid.UUID
    kind: str
    learner_id: uuid.UUID
    status: str
    started_at: datetime
    deadline_at: datetime | None
    finished_at: datetime | None
    time_factor: float | None = Field(
        description="The extended-time factor applied to the time limit: it tells an "
        "accommodation, so only the learner's staff see it (null for the student, guardians and "
        "integration clients, who see the deadline it produced)"
    )
    items: list[AttemptItemOut]
    responses: list[ResponseOut]
    score: float | None = None
    max_score: float | None = None
    results: dict[str, Any] | None = None
    ability: Ability | None = None


class NextItemOut(BaseModel):
    # Names the learner so the gateway's audit log can record who this step of a check concerns.
    attempt_id: uuid.UUID
    learner_id: uuid.UUID
    done: bool
    item: AttemptItemOut | None = None
    ability: Ability
    answered: int
