"""Placement results as pathways reads them (``GET /internal/learners/{id}/placements``)."""

import uuid
from datetime import datetime

from pydantic import BaseModel

__all__ = ["LearnerPlacements", "PlacedItem", "PlacedSkillOut"]


class PlacedItem(BaseModel):
    item_id: uuid.UUID
    correct: bool


class PlacedSkillOut(BaseModel):
    skill_code: str
    attempt_id: uuid.UUID
    assessment_id: uuid.UUID
    finished_at: datetime
    theta: float
    theta_se: float | None
    p_correct: float
    items: list[PlacedItem]


class LearnerPlacements(BaseModel):
    learner_id: uuid.UUID
    skills: list[PlacedSkillOut]
