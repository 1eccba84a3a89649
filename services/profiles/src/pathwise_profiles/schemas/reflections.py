"""Reflection, reply and confidence bodies (docs/profiles.md, "Reflections")."""

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from pathwise_profiles.domain.reflections import CONFIDENCE_SCALE, target_kind_of
from pathwise_profiles.schemas.profiles import CommentOut, SkillCode
from pathwise_shared.inputs import StrictBody, StrictInt

__all__ = ["ConfidenceOut", "ReflectionIn", "ReflectionOut", "SkillConfidenceOut"]

_SCALE = "; ".join(f"{level} = {words}" for level, words in CONFIDENCE_SCALE.items())
Journal = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ReflectionIn(StrictBody):
    """Exactly one target: a pathway step, a skill or one of the learner's goals."""

    step_id: uuid.UUID | None = Field(None, description="a step of the learner's pathway")
    skill_code: SkillCode | None = None
    goal_id: uuid.UUID | None = Field(None, description="one of the learner's own goals")
    confidence: StrictInt = Field(ge=1, le=4, description=f"How sure the learner is: {_SCALE}")
    journal: Journal | None = Field(None, description="optional journal entry (≤ 2000)")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (
            target_kind_of(step_id=self.step_id, skill_code=self.skill_code, goal_id=self.goal_id)
            is None
        ):
            raise ValueError("name exactly one of step_id, skill_code, goal_id")
        return self


class ReflectionOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    target_kind: str = Field(description="step, skill or goal")
    step_id: uuid.UUID | None
    skill_code: str | None
    goal_id: uuid.UUID | None
    confidence: int
    journal: str | None
    created_at: datetime
    replies: list[CommentOut] = Field(description="The learner's teachers' replies, oldest first")


class SkillConfidenceOut(BaseModel):
    skill_code: str
    confidence: int = Field(description=f"The latest self-rating: {_SCALE}")
    reflection_id: uuid.UUID
    rated_at: datetime


class ConfidenceOut(BaseModel):
    learner_id: uuid.UUID
    skills: list[SkillConfidenceOut] = Field(description="Per skill, the latest rating")
