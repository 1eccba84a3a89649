"""Body of ``PUT /internal/learners/{id}/goal-progress``: progress from mastery, from pathways."""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from pathwise_shared.inputs import StrictBody, StrictInt

__all__ = ["GoalProgressIn", "GoalProgressOut", "SkillProgressIn"]


class SkillProgressIn(StrictBody):
    skill_code: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    needed: StrictInt = Field(ge=0, le=100_000, description="Skills the goal skill needs")
    done: StrictInt = Field(ge=0, le=100_000, description="Of those, mastered or placed")


class GoalProgressIn(StrictBody):
    skills: list[SkillProgressIn] = Field(max_length=500)


class GoalProgressOut(BaseModel):
    updated: int = Field(description="Goals whose progress changed")
