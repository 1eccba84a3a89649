"""Bodies of the aggregate routes: the learner overview and the class dashboard."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AssignedActivityOut",
    "CalibrationOut",
    "DashboardGroupOut",
    "DashboardGroupingOut",
    "DashboardLearnerOut",
    "DashboardOut",
    "MasterySummaryOut",
    "OverviewOut",
    "SkillMasteryOut",
    "SkillStatOut",
]

_DEGRADED = "Parts left out because their service is unavailable right now (retry later)."
_WITHHELD = "Parts left out because the caller may not see them."


class SkillMasteryOut(BaseModel):
    skill_code: str
    p_known: float
    mastered: bool = False
    level: str | None = None
    evidence_count: int | None = None


class MasterySummaryOut(BaseModel):
    skills_tracked: int
    skills_mastered: int
    mean_p_known: float | None
    skills: list[SkillMasteryOut]


class CalibrationOut(BaseModel):
    skill_code: str
    confidence: int = Field(description="The learner's latest self-rating, 1 (not yet) to 4")
    p_known: float
    mastered: bool
    signal: str = Field(
        description="over_confident (confidence ≥ 3, P(known) < 0.5), under_confident "
        "(confidence ≤ 2, mastered) or calibrated"
    )


class OverviewOut(BaseModel):
    learner_id: uuid.UUID
    profile: dict[str, Any] | None = Field(description="As GET /v1/learners/{id}/profile")
    pathway: dict[str, Any] | None = Field(
        description="As GET /v1/learners/{id}/pathway; null when none is planned yet"
    )
    mastery: MasterySummaryOut | None
    calibration: list[CalibrationOut] | None = Field(
        None,
        description="For the learner's teachers and admins: per skill with both, the learner's "
        "latest confidence beside the mastery estimate (withheld from others)",
    )
    degraded: list[str] = Field(description=_DEGRADED)
    withheld: list[str] = Field(description=_WITHHELD)


class DashboardLearnerOut(BaseModel):
    id: uuid.UUID
    display_name: str | None
    grade: str | None
    flags: list[dict[str, Any]] = Field(description="Early-warning flags, each with a reason")
    mastery: dict[str, float] = Field(description="skill code → probability the skill is known")


class SkillStatOut(BaseModel):
    skill_code: str
    learners_assessed: int
    learners_mastered: int
    mean_p_known: float


class AssignedActivityOut(BaseModel):
    id: uuid.UUID
    title: str


class DashboardGroupOut(BaseModel):
    index: int
    label: str
    skill_codes: list[str]
    learner_ids: list[uuid.UUID]
    activity: AssignedActivityOut | None = Field(
        None, description="The activity assigned to the whole group, if any"
    )


class DashboardGroupingOut(BaseModel):
    id: uuid.UUID
    strategy: str
    groups: list[DashboardGroupOut]
    created_by: str
    created_at: datetime


class DashboardOut(BaseModel):
    class_id: uuid.UUID
    school_id: uuid.UUID | None
    learners: list[DashboardLearnerOut] = Field(description="The class roster")
    skills: list[SkillStatOut] = Field(description="Mastery per skill across the class")
    groups: DashboardGroupingOut | None = Field(
        description="The class's latest grouping (as GET /v1/classes/{id}/groups); null when "
        "the class has never been grouped, or when pathways is down (then named in degraded)"
    )
    degraded: list[str] = Field(description=_DEGRADED)
    withheld: list[str] = Field(description=_WITHHELD)
