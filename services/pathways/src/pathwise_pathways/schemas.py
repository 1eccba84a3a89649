"""Request and response bodies of the pathways API."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pathwise_shared.inputs import Day, Omittable, StrictBody, StrictBool, StrictInt

__all__ = [
    "ActivityCreate",
    "ActivityOut",
    "ActivityUpdate",
    "AssignmentIn",
    "AssignmentRequest",
    "AssignmentsOut",
    "BoardEntryOut",
    "BulkActivities",
    "CaseImport",
    "ChoiceRequest",
    "Code",
    "EdgeIn",
    "EdgesIn",
    "FrameworkCreate",
    "FrameworkOut",
    "GoalForecastOut",
    "GoalIn",
    "GroupOut",
    "GroupingOut",
    "GroupingRequest",
    "InsightOut",
    "InsightsOut",
    "OverrideRequest",
    "OwnerOut",
    "PathwayOut",
    "PlanRequest",
    "ResolveRequest",
    "ResolveResponse",
    "SkillIn",
    "SkillOut",
    "SkillsIn",
    "StepOut",
    "VersionOut",
]

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")
]
Short = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Lang = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[a-zA-Z-]+$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Format = Literal["video", "text", "audio", "interactive", "hands_on", "game"]
Feature = Literal["captions", "text_to_speech", "large_print", "transcript", "screen_reader"]


class FrameworkCreate(StrictBody):
    key: Code
    title: Short
    subject: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "math"


class OwnerOut(BaseModel):
    """Who answers for the content: only they, admins of its school and district admins change it."""

    id: str | None = Field(description="The author's user id (or client id); null = none recorded")
    school_id: uuid.UUID | None = Field(description="The author's school; null = district-wide")


class FrameworkOut(BaseModel):
    id: uuid.UUID
    district_id: uuid.UUID | None
    shared: bool
    key: str
    title: str
    subject: str
    source: str
    version: int
    import_report: dict[str, Any]
    owner: OwnerOut
    created_at: datetime


class SkillIn(StrictBody):
    code: Code
    title: Short
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    grade: Annotated[str, StringConstraints(max_length=20)] | None = None
    parent_code: Code | None = None


class SkillsIn(StrictBody):
    skills: list[SkillIn] = Field(min_length=1, max_length=2000)


class EdgeIn(StrictBody):
    source: Code = Field(description="The prerequisite (or the related/matching skill)")
    target: Code
    kind: Literal["prerequisite", "related", "exact_match"] = "prerequisite"


class EdgesIn(StrictBody):
    edges: list[EdgeIn] = Field(min_length=1, max_length=5000)


class CaseImport(StrictBody):
    key: Code | None = None
    CFDocument: dict[str, Any]
    CFItems: list[dict[str, Any]] = Field(max_length=20_000)
    CFAssociations: list[dict[str, Any]] = Field(default_factory=list, max_length=100_000)


class SkillOut(BaseModel):
    id: uuid.UUID
    framework_id: uuid.UUID
    code: str
    title: str
    description: str
    subject: str
    grade: str | None
    domain: str | None
    cluster: str | None
    parent_code: str | None
    prerequisites: list[str] | None = None
    dependents: list[str] | None = None
    related: list[str] | None = None
    exact_matches: list[str] | None = None


class ResolveRequest(StrictBody):
    codes: list[Code] = Field(max_length=2000)


class ResolveResponse(BaseModel):
    known: list[str]
    unknown: list[str]


class ActivityCreate(StrictBody):
    title: Short
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    format: Format
    difficulty: StrictInt = Field(ge=1, le=5)
    minutes: StrictInt = Field(ge=1, le=600)
    languages: list[Lang] = Field(default_factory=lambda: ["en"], min_length=1, max_length=20)
    accessibility: list[Feature] = Field(default_factory=list, max_length=10)
    interest_tags: list[Tag] = Field(default_factory=list, max_length=30)
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    skill_codes: list[Code] = Field(min_length=1, max_length=50)


class ActivityUpdate(StrictBody):
    title: Omittable[Short] = None
    description: Omittable[Annotated[str, StringConstraints(max_length=5000)]] = None
    format: Omittable[Format] = None
    difficulty: Omittable[StrictInt] = Field(None, ge=1, le=5)
    minutes: Omittable[StrictInt] = Field(None, ge=1, le=600)
    languages: Omittable[list[Lang]] = Field(None, min_length=1, max_length=20)
    accessibility: Omittable[list[Feature]] = Field(None, max_length=10)
    interest_tags: Omittable[list[Tag]] = Field(None, max_length=30)
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://")] | None = None
    skill_codes: Omittable[list[Code]] = Field(None, min_length=1, max_length=50)


class BulkActivities(StrictBody):
    activities: list[ActivityCreate] = Field(min_length=1, max_length=500)


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str
    format: str
    difficulty: int
    minutes: int
    languages: list[str]
    accessibility: list[str]
    interest_tags: list[str]
    url: str | None
    skill_codes: list[str]
    owner: OwnerOut
    created_at: datetime
    updated_at: datetime


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
        True,
        description="Skills two or more grades below the learner's count as mastered unless "
        "assessment has evidence they are not",
    )
    reason: Reason = "planned"


class BoardEntryOut(BaseModel):
    activity_id: uuid.UUID
    title: str
    format: str
    minutes: int
    score: float
    reasons: list[str]


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


class GoalForecastOut(BaseModel):
    skill_code: str
    target_date: date | None
    expected_date: date
    remaining_minutes: int
    status: str
    reason: str


class PathwayOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    status: str
    version: int
    goals: list[dict[str, Any]]
    steps: list[StepOut]
    pace: list[GoalForecastOut]
    approved_by: str | None
    updated_at: datetime


class ChoiceRequest(StrictBody):
    activity_id: uuid.UUID


class OverrideRequest(StrictBody):
    action: Literal["pin", "unpin", "skip", "unskip", "insert", "reorder", "lock", "unlock"]
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
    reason: str
    steps: list[dict[str, Any]]
    created_at: datetime


class GroupingRequest(StrictBody):
    strategy: Literal["next_skill", "mastery_band"] = "next_skill"
    min_size: StrictInt = Field(2, ge=1, le=100)
    max_size: StrictInt = Field(6, ge=1, le=100)
    skill_codes: list[Code] | None = Field(
        None, max_length=200, description="mastery_band: the skills to average mastery over"
    )


class AssignedActivityOut(BaseModel):
    id: uuid.UUID
    title: str


class GroupOut(BaseModel):
    index: int
    label: str
    skill_codes: list[str]
    learner_ids: list[uuid.UUID]
    activity: AssignedActivityOut | None = Field(
        None, description="The activity assigned to the whole group, if any"
    )


class GroupingOut(BaseModel):
    id: uuid.UUID
    class_id: uuid.UUID
    strategy: str
    groups: list[GroupOut]
    created_by: str
    created_at: datetime


class AssignmentIn(StrictBody):
    group_index: StrictInt = Field(ge=0, le=1000)
    activity_id: uuid.UUID


class AssignmentRequest(StrictBody):
    assignments: list[AssignmentIn] = Field(min_length=1, max_length=200)


class AssignmentsOut(BaseModel):
    grouping_id: uuid.UUID
    assigned: int
    pathways_updated: int


class InsightOut(BaseModel):
    learner_id: uuid.UUID
    display_name: str | None
    flags: list[dict[str, str]]


class InsightsOut(BaseModel):
    class_id: uuid.UUID
    learners: list[InsightOut]
