"""Mastery bodies: a learner's skills, history points, the internal query, skill parameters."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pathwise_assessment.schemas.common import SkillCode
from pathwise_shared.inputs import StrictBody, StrictNumber

__all__ = [
    "HistoryPoint",
    "LearnerMastery",
    "MasteryQuery",
    "MasteryQueryOut",
    "MasteryRow",
    "SkillMastery",
    "SkillParamsOut",
    "SkillParamsUpdate",
]


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


class SkillParamsUpdate(StrictBody):
    threshold: StrictNumber = Field(
        gt=0.5,
        lt=1.0,
        allow_inf_nan=False,
        description="P(known) at which the skill counts as mastered (default 0.95)",
    )


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
