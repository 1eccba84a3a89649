"""Bodies of the aggregate routes: the learner overview and the class dashboard."""

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AssignedActivityOut",
    "CalibrationOut",
    "ChildClassOut",
    "ChildOut",
    "ChildSchoolOut",
    "ChildrenOut",
    "CurrentStepOut",
    "DashboardGroupOut",
    "DashboardGroupingOut",
    "DashboardLearnerOut",
    "DashboardOut",
    "EvidenceItemOut",
    "FamilyGoalOut",
    "FamilySummaryOut",
    "GoalMasteryOut",
    "MasterySummaryOut",
    "OverviewOut",
    "SharedArtifactOut",
    "SharedOut",
    "SharedReflectionOut",
    "SkillLevelOut",
    "SkillMasteryOut",
    "SkillStatOut",
    "SupportNoteOut",
    "UpcomingOut",
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


# The guardian home (docs/gateway.md, "Guardian home") ------------------------------------------

_LANGUAGE = (
    "The language of the words in this answer (also the Content-Language header): the "
    "guardian's preferred language where we have its words (en, es), else en."
)


class ChildSchoolOut(BaseModel):
    id: uuid.UUID
    name: str


class ChildClassOut(BaseModel):
    id: uuid.UUID
    title: str
    school_id: uuid.UUID


class ChildOut(BaseModel):
    learner_id: uuid.UUID
    display_name: str
    given_name: str
    grade: str | None
    relationship: str = Field(description="parent, guardian or relative (the roster's link)")
    schools: list[ChildSchoolOut]
    classes: list[ChildClassOut] = Field(description="The classes the child is enrolled in now")


class ChildrenOut(BaseModel):
    language: str = Field(description=_LANGUAGE)
    children: list[ChildOut]


class FamilyGoalOut(BaseModel):
    id: uuid.UUID
    title: str
    term: str | None = None
    why: str | None = Field(None, description="Why the goal matters to the child, in their words")
    status: str
    status_label: str | None
    progress: float | None = Field(description="0-1, from mastery of the goal's skills")
    target_date: date | None
    skill_codes: list[str]


class CurrentStepOut(BaseModel):
    id: uuid.UUID | None
    skill_code: str
    title: str
    due_date: date | None
    position: int | None
    steps_total: int
    steps_done: int = Field(description="Steps mastered, placed or skipped so far")


class EvidenceItemOut(BaseModel):
    skill_code: str
    skill_title: str
    level: str | None
    level_label: str | None
    mastered: bool
    at: datetime = Field(description="When this skill's evidence last changed")


class SkillLevelOut(BaseModel):
    skill_code: str
    skill_title: str
    level: str
    level_label: str | None
    mastered: bool


class GoalMasteryOut(BaseModel):
    goal_id: str
    title: str
    skills: list[SkillLevelOut]
    skills_mastered: int


class SupportNoteOut(BaseModel):
    kind: str = Field(description="The kind of note (the school's flag kind it comes from)")
    text: str = Field(description="What the school is doing, in plain words")
    skill_code: str | None
    since: datetime | None


class SharedReflectionOut(BaseModel):
    id: uuid.UUID | None
    target_kind: str | None
    skill_code: str | None
    confidence: int | None = Field(description="1 (not yet) to 4 (could teach it)")
    journal: str | None
    created_at: datetime | None


class SharedArtifactOut(BaseModel):
    id: uuid.UUID | None
    kind: str | None
    title: str | None
    skill_codes: list[str]
    created_at: datetime | None


class SharedOut(BaseModel):
    reflections: list[SharedReflectionOut] | None = Field(
        description="The child's newest reflections, only while they share reflections with "
        "their family (else empty and named in withheld); null when profiles is unavailable"
    )
    portfolio: list[SharedArtifactOut] | None = Field(
        description="The newest portfolio artifacts the child shared with their family"
    )


class UpcomingOut(BaseModel):
    kind: str = Field(description="goal (a goal's target date) or step (a step's due date)")
    label: str
    title: str
    date: date
    goal_id: str | None = None
    step_id: str | None = None


class FamilySummaryOut(BaseModel):
    learner_id: uuid.UUID
    display_name: str
    language: str = Field(description=_LANGUAGE)
    labels: dict[str, str] = Field(description="Headings for each part, in `language`")
    goals: list[FamilyGoalOut] | None = Field(
        description="The goals the child shares with their family (empty and named in "
        "withheld when they do not); null when profiles is unavailable"
    )
    current_step: CurrentStepOut | None = Field(
        description="The pathway step being practised; null without a pathway or a ready step"
    )
    recent_evidence: list[EvidenceItemOut] | None = Field(
        description="The skills practised most recently, newest first (never the answers)"
    )
    mastery_by_goal: list[GoalMasteryOut] | None
    support_notes: list[SupportNoteOut] | None = Field(
        description="What the school is doing where the child may need support, in plain words"
    )
    shared: SharedOut = Field(description="What the child chose to share with their family")
    upcoming: list[UpcomingOut] | None = Field(
        description="Goal target dates and step due dates in the next `days` days, soonest first"
    )
    degraded: list[str] = Field(description=_DEGRADED)
    withheld: list[str] = Field(description=_WITHHELD)
