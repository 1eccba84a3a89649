"""Legal hold, retention policy and retention report bodies (docs/privacy.md)."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pathwise_profiles.domain.retention import MAX_DAYS, MIN_DAYS
from pathwise_shared.inputs import Day, StrictBody, StrictBool

__all__ = [
    "AuditLogPolicies",
    "AuditLogPolicy",
    "DeletedLearner",
    "DuePending",
    "DuePendingList",
    "HeldLearner",
    "LegalHoldIn",
    "LegalHoldOut",
    "PendingLearner",
    "RetentionCounts",
    "RetentionDeletedIn",
    "RetentionPolicyIn",
    "RetentionPolicyOut",
    "RetentionReport",
]

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
Days = Annotated[int, Field(strict=True, ge=MIN_DAYS, le=MAX_DAYS)]
# The gateway's audit log may be kept longer than the learners' data (it records who read it)
# but not forever; at least 90 days so an incident can still be traced.
AuditDays = Annotated[int, Field(strict=True, ge=90, le=MAX_DAYS)]

_HOLD: dict[str, Any] = {
    "learner_id": "5b1f3c2a-9d8e-4f7a-8b6c-1d2e3f4a5b6c",
    "active": True,
    "set_by": "0193f5a0-7c1e-7a3b-9d2f-4b8c6e1a2d30",
    "set_at": "2027-01-05T15:04:05Z",
    "reason": "Records request from counsel, case 2027-014",
    "until": "2027-12-31",
}


class LegalHoldIn(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "Records request from counsel, case 2027-014", "until": "2027-12-31"}
            ]
        }
    )

    reason: Reason = Field(description="Why the learner's data must be kept (3-1000 characters)")
    until: Day | None = Field(
        None,
        description="The last day the hold applies (inclusive); absent: until lifted. "
        "Not in the past.",
    )


class LegalHoldOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_HOLD]})

    learner_id: uuid.UUID
    active: bool = Field(description="Whether it holds today: not lifted, and ``until`` not passed")
    set_by: str = Field(description="The subject (user id) of the district admin who set it")
    set_at: datetime
    reason: str
    until: date | None
    # Defaults, so the example of a hold in force (neither set) is valid: the public document
    # leaves nulls out of its examples.
    lifted_by: str | None = Field(None, description="Who lifted it (null while it holds)")
    lifted_at: datetime | None = None


_POLICY: dict[str, Any] = {
    "enabled": True,
    "delete_after_days_since_leaving": 365,
    "delete_after_days_since_leaving_under_13": 90,
    "audit_log_days": 730,
}


class RetentionPolicyIn(StrictBody):
    model_config = ConfigDict(json_schema_extra={"examples": [_POLICY]})

    enabled: StrictBool = Field(
        description="Whether the scheduled evaluation looks at this district at all"
    )
    delete_after_days_since_leaving: Days = Field(
        description=f"Days after a learner left before their data is due for deletion "
        f"({MIN_DAYS}-{MAX_DAYS})"
    )
    delete_after_days_since_leaving_under_13: Days | None = Field(
        None,
        description="The same for a learner under 13 on the day it ends; at most the general "
        "period; absent: the general period applies to everyone",
    )
    audit_log_days: AuditDays | None = Field(
        None,
        description="How long the gateway keeps audit entries (90-3650 days); absent: kept. "
        "Recorded for the deletion job; nothing enforces it yet",
    )


class RetentionPolicyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "district_id": "7d0f6c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
                    **_POLICY,
                    "is_default": False,
                    "updated_by": "0193f5a0-7c1e-7a3b-9d2f-4b8c6e1a2d30",
                    "updated_at": "2027-01-05T15:04:05Z",
                }
            ]
        }
    )

    district_id: uuid.UUID
    enabled: bool
    delete_after_days_since_leaving: int
    delete_after_days_since_leaving_under_13: int | None
    audit_log_days: int | None
    is_default: bool = Field(description="True: the district never set one (the defaults, off)")
    updated_by: str | None
    updated_at: datetime | None


class PendingLearner(BaseModel):
    learner_id: uuid.UUID
    rule: Literal["left", "left_under_13"] = Field(
        description="``left``: the general period; ``left_under_13``: the shorter one"
    )
    left_on: date = Field(description="The day the learner left (docs/privacy.md)")
    due_since: date
    state: Literal["pending", "held"]


class HeldLearner(PendingLearner):
    hold_until: date | None
    hold_reason: str


class DeletedLearner(BaseModel):
    """A learner the policy had erased: by the deletion, never by id (the id is gone)."""

    deletion_id: uuid.UUID = Field(description="The deletion job (its certificate: "
                                   "``GET /v1/deletions/{deletion_id}``)")  # fmt: skip
    tombstone: str = Field(description="The deletion's tombstone (docs/privacy.md)")
    rule: Literal["left", "left_under_13"]
    left_on: date
    due_since: date
    deleted_at: datetime


class RetentionCounts(BaseModel):
    pending: int
    held: int
    deleted: int = Field(0, description="Learners the policy had erased, ever")


class DuePending(BaseModel):
    """A learner due for deletion, for the deletion job (internal)."""

    learner_id: uuid.UUID
    district_id: uuid.UUID
    rule: Literal["left", "left_under_13"]
    left_on: date
    due_since: date


class DuePendingList(BaseModel):
    items: list[DuePending]


class RetentionDeletedIn(BaseModel):
    """The deletion job's record of a learner it erased for the policy (internal)."""

    model_config = ConfigDict(extra="forbid")

    deletion_id: uuid.UUID
    tombstone: Annotated[str, StringConstraints(min_length=64, max_length=64)]
    rule: Literal["left", "left_under_13"]
    left_on: date
    due_since: date


class RetentionReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "district_id": "7d0f6c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
                    "policy": {
                        "district_id": "7d0f6c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
                        **_POLICY,
                        "is_default": False,
                        "updated_by": "0193f5a0-7c1e-7a3b-9d2f-4b8c6e1a2d30",
                        "updated_at": "2027-01-05T15:04:05Z",
                    },
                    "last_run_at": "2027-01-06T02:00:00Z",
                    "executed": True,
                    "execution": "the deletion job erases the learners pending at its next run",
                    "counts": {"pending": 1, "held": 0, "deleted": 1},
                    "pending": [
                        {
                            "learner_id": "5b1f3c2a-9d8e-4f7a-8b6c-1d2e3f4a5b6c",
                            "rule": "left_under_13",
                            "left_on": "2026-06-12",
                            "due_since": "2026-09-10",
                            "state": "pending",
                        }
                    ],
                    "held": [],
                    "deleted": [
                        {
                            "deletion_id": "0193a1f0-0000-7000-8000-000000000002",
                            "tombstone": "5e1c0b6f" * 8,
                            "rule": "left",
                            "left_on": "2025-06-12",
                            "due_since": "2026-06-12",
                            "deleted_at": "2026-06-12T03:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    district_id: uuid.UUID
    policy: RetentionPolicyOut
    last_run_at: datetime | None = Field(
        description="When the scheduled evaluation last looked at this district; null: never"
    )
    executed: bool = Field(
        description="Whether the policy is carried out: true while it is on (the deletion job "
        "erases the learners ``pending`` at its next run; ``deleted`` lists those it erased)"
    )
    execution: str = Field(description="The same in words")
    counts: RetentionCounts
    pending: list[PendingLearner] = Field(
        description="Learners due for deletion, as of the last run (at most 500, oldest due first)"
    )
    held: list[HeldLearner] = Field(
        description="Learners due but held back by a legal hold (at most 500)"
    )
    deleted: list[DeletedLearner] = Field(
        default_factory=list,
        description="Learners the policy had erased, by deletion and tombstone (at most 500, "
        "newest first)",
    )


class AuditLogPolicy(BaseModel):
    district_id: uuid.UUID
    audit_log_days: int = Field(description="Audit entries older than this many days are deleted")


class AuditLogPolicies(BaseModel):
    """The districts whose policy is on and sets ``audit_log_days``, for the gateway's audit
    log sweep; a district not listed keeps its whole audit log."""

    districts: list[AuditLogPolicy]
