"""Bodies of the internal operations (docs/contracts.md, "profiles")."""

import uuid
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from pathwise_profiles.domain.access_rules import TargetKind
from pathwise_shared.access import Action
from pathwise_shared.inputs import StrictBody

__all__ = [
    "AccessCheckAnswer",
    "AccessCheckRequest",
    "ChildClass",
    "ChildSchool",
    "ClassLearner",
    "ClassLearners",
    "Disclosure",
    "GuardianChild",
    "GuardianChildren",
    "LearnerGoal",
    "PeopleNames",
    "PeopleNamesRequest",
    "PersonName",
    "PlanningAccommodation",
    "PlanningGoal",
    "PlanningProfile",
    "ResolveRequest",
    "ResolvedPrincipal",
    "RosterChanges",
    "RosterChangesResult",
]


class AccessCheckRequest(StrictBody):
    action: Action
    learner_id: uuid.UUID | None = None
    class_id: uuid.UUID | None = None
    school_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _exactly_one_target(self) -> Self:
        named = [t for t in (self.learner_id, self.class_id, self.school_id) if t is not None]
        if len(named) != 1:
            raise ValueError("name exactly one of learner_id, class_id, school_id")
        return self

    def target(self) -> tuple[TargetKind, uuid.UUID]:
        """The one object named (the validator guarantees exactly one)."""
        if self.learner_id is not None:
            return "learner", self.learner_id
        if self.class_id is not None:
            return "class", self.class_id
        assert self.school_id is not None
        return "school", self.school_id


class AccessCheckAnswer(BaseModel):
    allowed: bool
    found: bool
    reason: str


class ResolveRequest(StrictBody):
    user_id: uuid.UUID | None = None
    username: str | None = Field(None, min_length=1, max_length=255)
    district_id: uuid.UUID | None = None
    sourced_id: str | None = Field(None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        if self.user_id is not None:
            if self.username or self.sourced_id:
                raise ValueError("user_id cannot be combined with username or sourced_id")
        elif self.username is not None:
            if self.sourced_id:
                raise ValueError("username cannot be combined with sourced_id")
        elif self.sourced_id is not None:
            if self.district_id is None:
                raise ValueError("sourced_id needs district_id")
        else:
            raise ValueError(
                "send one of user_id, username (+ district_id), district_id + sourced_id"
            )
        return self


class ResolvedPrincipal(BaseModel):
    user_id: uuid.UUID
    district_id: uuid.UUID
    roles: list[str]
    school_ids: list[uuid.UUID]
    status: str
    display_name: str


# A page of the audit log is at most 200 entries, each naming an actor and a learner.
MAX_NAMES = 500


class PeopleNamesRequest(StrictBody):
    ids: list[uuid.UUID] = Field(max_length=MAX_NAMES, description="User ids (any role)")


class PersonName(BaseModel):
    id: uuid.UUID
    display_name: str
    roles: list[str] = Field(description="The user's roles now (not when a record was made)")
    status: str = Field(description="active, or tobedeleted once the roster removed the user")


class PeopleNames(BaseModel):
    """The users of the caller's district among the ids asked for; an id that names nobody
    there (another district's, deleted, never existed) is simply absent."""

    people: list[PersonName]


class PlanningAccommodation(BaseModel):
    term: str
    factor: float | None = None


class PlanningGoal(BaseModel):
    id: uuid.UUID
    title: str
    term: Literal["short", "long"]
    skill_codes: list[str]
    target_date: date | None
    status: str


class LearnerGoal(BaseModel):
    """One goal of a learner, as assessment needs it to issue a credential for its completion
    (docs/assessment.md, "Credentials"): not ``why`` (the learner's words stay here)."""

    id: uuid.UUID
    learner_id: uuid.UUID
    district_id: uuid.UUID
    title: str
    term: Literal["short", "long"]
    skill_codes: list[str]
    status: Literal["active", "achieved", "paused", "dropped"]
    completed_at: datetime | None


class PlanningProfile(BaseModel):
    learner_id: uuid.UUID
    district_id: uuid.UUID
    grade: str | None
    interests: list[str]
    preferred_formats: list[str]
    languages: list[str]
    english_learner: bool
    pace: Literal["slower", "steady", "faster"]
    accommodations: list[PlanningAccommodation]
    goals: list[PlanningGoal]


class ClassLearner(BaseModel):
    id: uuid.UUID
    display_name: str
    grade: str | None
    hidden: list[str] = Field(
        default_factory=list,
        description="Profile parts the calling principal may not see for this learner: what "
        "the caller derives from them (insight flags, …) must be withheld too",
    )


class Disclosure(BaseModel):
    """What the calling principal may see of one learner: services that show data derived from
    the profile (choice-board reasons, goal forecasts, time factors) withhold what comes from a
    ``hidden`` part, so derived data never reveals a part the profile itself withholds."""

    learner_id: uuid.UUID
    reader: Literal["admin", "teacher", "guardian", "student", "client"]
    hidden: list[str] = Field(description="Parts withheld from this caller, as in ProfileOut")


class ClassLearners(BaseModel):
    class_id: uuid.UUID
    district_id: uuid.UUID
    school_id: uuid.UUID
    learners: list[ClassLearner]


MAX_RECORDS = 10_000


class RosterChanges(StrictBody):
    """OneRoster-shaped records forwarded by the gateway's inbound webhook (each one is read
    and validated like a CSV row; a bad record is reported, not fatal)."""

    users: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    classes: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    enrollments: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_RECORDS)
    force: bool = Field(
        False,
        description="apply even past the mass-change guard (the batch's signer decides, as "
        "force does for an upload; only system principals reach this operation)",
    )


class RosterChangesResult(BaseModel):
    applied: int = Field(description="rows created, updated or marked tobedeleted")
    diff: dict[str, dict[str, int]]
    guard: dict[str, Any] = Field(
        description="the mass-change guard per kind, as an import's report.guard (a forced "
        "batch lists the kinds it was forced past in tripped)"
    )
    errors: list[dict[str, Any]] = Field(
        description="per record: file (the list), line (1-based position), field, message"
    )


class ChildSchool(BaseModel):
    id: uuid.UUID
    name: str


class ChildClass(BaseModel):
    id: uuid.UUID
    title: str
    school_id: uuid.UUID


class GuardianChild(BaseModel):
    learner_id: uuid.UUID
    display_name: str
    given_name: str
    grade: str | None
    relationship: str
    schools: list[ChildSchool]
    classes: list[ChildClass]


class GuardianChildren(BaseModel):
    """The calling guardian's children in their district (empty for anyone else)."""

    guardian_id: uuid.UUID | None
    preferred_language: str | None
    children: list[GuardianChild]
