"""Motivation bodies: one learner's points, streak and badges, and their display preference."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from pathwise_shared.inputs import StrictBody, StrictBool

__all__ = ["BadgeOut", "MotivationOut", "MotivationPreferenceIn", "MotivationPreferenceOut"]


class BadgeOut(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    skill_code: str | None = Field(None, description="The skill of a per-skill badge (comeback)")
    awarded_at: datetime


class MotivationOut(BaseModel):
    """The learner compared with themself only. ``hidden``: the learner chose to hide it; then
    anyone but the learner gets no points, streak or badges (all null)."""

    learner_id: uuid.UUID
    hidden: bool
    points: int | None = None
    practice_points: int | None = None
    mastery_points: int | None = None
    answered_items: int | None = None
    skills_mastered: int | None = None
    streak_days: int | None = Field(None, description="The current streak, in practice days")
    longest_streak_days: int | None = None
    last_practice_day: date | None = Field(None, description="UTC date")
    badges: list[BadgeOut] | None = None


class MotivationPreferenceIn(StrictBody):
    hidden: StrictBool


class MotivationPreferenceOut(BaseModel):
    learner_id: uuid.UUID
    hidden: bool
