"""Request and response bodies of the assessment API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from pathwise_assessment.domain.items import ItemSpec
from pathwise_shared.inputs import StrictBody, StrictInt, StrictNumber

__all__ = [
    "Ability",
    "AnswerIn",
    "AssessmentCreate",
    "AssessmentOut",
    "AssessmentUpdate",
    "AttemptCreate",
    "AttemptItemOut",
    "AttemptOut",
    "FitCreate",
    "FitOut",
    "HistoryPoint",
    "ItemCreate",
    "ItemOut",
    "ItemUpdate",
    "LearnerMastery",
    "MasteryQuery",
    "MasteryQueryOut",
    "MasteryRow",
    "NextItemOut",
    "ObjectOwner",
    "OwnerOut",
    "ResponseOut",
    "RubricScoreIn",
    "SkillCode",
    "SkillMastery",
    "SkillParamsOut",
    "SkillParamsUpdate",
]

SkillCode = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9-]+)+$"),
]
SkillCodes = Annotated[list[SkillCode], Field(min_length=1, max_length=10)]


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


class OwnerOut(BaseModel):
    """Who answers for the content: only they, admins of its school and district admins change it."""

    id: str | None = Field(description="The author's user id (or client id); null on old content")
    school_id: uuid.UUID | None = Field(description="The author's school; null = district-wide")


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


class SkillMastery(BaseModel):
    skill_code: str
    p_known: float
    mastered: bool
    level: str
    evidence_count: int
    updated_at: datetime


class LearnerMastery(BaseModel):
    learner_id: uuid.UUID
    skills: list[SkillMastery]


class MasteryRow(SkillMastery):
    learner_id: uuid.UUID


class MasteryQuery(StrictBody):
    learner_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    skill_codes: list[SkillCode] | None = Field(None, max_length=500)


class MasteryQueryOut(BaseModel):
    items: list[MasteryRow]


class HistoryPoint(BaseModel):
    id: uuid.UUID
    at: datetime
    reason: str
    response_id: uuid.UUID | None
    correct: bool | None
    hard: bool | None
    p_before: float
    p_known: float
    mastered: bool
    level: str


class FitCreate(StrictBody):
    min_responses: StrictInt = Field(50, ge=10, le=1_000_000, description="Skip skills with fewer")


class FitOut(BaseModel):
    id: uuid.UUID
    status: str
    min_responses: int
    response_count: int
    skill_count: int
    results: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class SkillParamsUpdate(StrictBody):
    threshold: StrictNumber = Field(
        gt=0.5, lt=1.0, allow_inf_nan=False,
        description="P(known) at which the skill counts as mastered (default 0.95)",
    )  # fmt: skip


class SkillParamsOut(BaseModel):
    skill_code: str
    prior: float
    learn: float
    guess: float
    slip: float
    forget: float
    threshold: float
    source: Literal["default", "fitted"]
    response_count: int
    updated_at: datetime | None
