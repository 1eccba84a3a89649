"""Legal holds, retention policies and their scheduled evaluation (docs/privacy.md, "Retention"
and "Legal hold").

The evaluation finds the learners a district's policy makes due for deletion and records them as
pending deletions; it deletes nothing itself. The gateway's deletion job takes the ``pending``
rows (``due_pending``), asks ``domain.retention.may_delete`` again before it is accepted and in
the erase, right before anything changes; the erase removes the learner's row here with their
others, and the job records the deletion, by tombstone, in ``retention_deletions``
(``record_deleted``), which the report lists.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain import retention as rules
from pathwise_profiles.domain.retention import (
    DEFAULT_POLICY,
    Decision,
    EnrollmentFact,
    HoldFact,
    LearnerFacts,
    RetentionPolicy,
)
from pathwise_profiles.repository import retention as repo
from pathwise_profiles.schemas.retention import (
    AuditLogPolicies,
    AuditLogPolicy,
    DeletedLearner,
    DuePending,
    DuePendingList,
    HeldLearner,
    LegalHoldIn,
    LegalHoldOut,
    PendingLearner,
    RetentionCounts,
    RetentionDeletedIn,
    RetentionPolicyIn,
    RetentionPolicyOut,
    RetentionReport,
)
from pathwise_shared.auth import Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.schedule import run_every
from pathwise_shared.learner_export import DELETION_JOB
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "audit_log_policies",
    "check_may_delete",
    "due_pending",
    "erase_guard",
    "erase_known",
    "get_hold",
    "get_policy",
    "learner_facts",
    "lift_hold",
    "put_policy",
    "record_deleted",
    "report",
    "run_retention_sweeps",
    "set_hold",
    "sweep_retention",
]

_BATCH = 1000  # learners read per query during the evaluation
_REPORT_ROWS = 500
EXECUTED = (
    "the deletion job erases the learners pending at its next run (unless a legal hold is set "
    "first) and lists them under deleted, by deletion and tombstone"
)
NOT_EXECUTED = "the policy is off: nothing is due and nothing is deleted"


# Facts -------------------------------------------------------------------------------------


def _hold_fact(row: RowMapping | None) -> HoldFact | None:
    if row is None:
        return None
    return HoldFact(
        set_by=row["set_by"],
        set_at=row["set_at"],
        reason=row["reason"],
        until=row["until"],
        lifted_at=row["lifted_at"],
    )


def _facts(
    user: RowMapping, enrollment_rows: Sequence[RowMapping], hold: RowMapping | None
) -> LearnerFacts:
    return LearnerFacts(
        learner_id=user["id"],
        status=user["status"],
        marked_on=user["updated_at"].date() if user["status"] == "tobedeleted" else None,
        enrollments=tuple(
            EnrollmentFact(
                status=e["status"],
                end_date=e["end_date"],
                session_end=e["session_end"],
                marked_on=e["updated_at"].date() if e["status"] == "tobedeleted" else None,
            )
            for e in enrollment_rows
        ),
        birth_date=user["birth_date"],
        hold=_hold_fact(hold),
    )


async def learner_facts(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> LearnerFacts | None:
    """What the roster knows of a learner for retention and deletion; ``None``: not a student
    of the district. The deletion job reads the same facts."""
    user = await repo.student(session, district_id, learner_id)
    if user is None:
        return None
    found = await repo.enrollments_of(session, district_id, [learner_id])
    hold = await repo.get_hold(session, district_id, learner_id)
    return _facts(user, found.get(learner_id, []), hold)


async def check_may_delete(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, now: datetime
) -> Decision:
    """``may_delete`` of the learner; raises 409 ``legal-hold-active`` when it refuses."""
    facts = await learner_facts(session, district_id, learner_id)
    if facts is None:
        return Decision(True)  # not a learner: nothing of a learner's to protect
    decision = rules.may_delete(facts, now)
    if not decision.allowed:
        raise Conflict(decision.reason, slug="legal-hold-active")
    return decision


async def erase_guard(session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    """The learner erase's check (``pathwise_shared.learner_export``): refused under a hold."""
    await check_may_delete(session, district_id, learner_id, utcnow())


async def erase_known(session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    """Before a deletion is accepted: 404 unless a learner of the district (an erased one is
    no longer one)."""
    if await learner_facts(session, district_id, learner_id) is None:
        raise NotFound("No such learner in your district.", slug="learner-not-found")


# Legal holds -------------------------------------------------------------------------------


async def _require_learner(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> RowMapping:
    user = await repo.student(session, district_id, learner_id)
    if user is None:
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    return user


def _hold_out(row: RowMapping, now: datetime) -> LegalHoldOut:
    return LegalHoldOut(
        learner_id=row["learner_id"],
        active=rules.hold_active(_hold_fact(row), now.date()),
        set_by=row["set_by"],
        set_at=row["set_at"],
        reason=row["reason"],
        until=row["until"],
        lifted_by=row["lifted_by"],
        lifted_at=row["lifted_at"],
    )


async def get_hold(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID
) -> LegalHoldOut:
    district_id = principal.require_district()
    await _require_learner(session, district_id, learner_id)
    row = await repo.get_hold(session, district_id, learner_id)
    if row is None:
        raise NotFound("This learner has never had a legal hold.", slug="legal-hold-not-found")
    return _hold_out(row, utcnow())


async def set_hold(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, body: LegalHoldIn
) -> LegalHoldOut:
    district_id = principal.require_district()
    await _require_learner(session, district_id, learner_id)
    now = utcnow()
    if body.until is not None and body.until < now.date():
        raise UnprocessableContent(
            "A hold cannot end in the past.",
            slug="validation-error",
            errors=[{"field": "until", "message": "must be today or later"}],
        )
    await repo.put_hold(
        session,
        {
            "learner_id": learner_id,
            "district_id": district_id,
            "set_by": principal.subject,
            "set_at": now,
            "reason": body.reason,
            "until": body.until,
        },
    )
    # Out of the deletion job's reach at once, not at the next evaluation.
    await repo.hold_pending(session, district_id, learner_id, now)
    row = await repo.get_hold(session, district_id, learner_id)
    assert row is not None
    return _hold_out(row, now)


async def lift_hold(session: AsyncSession, principal: Principal, learner_id: uuid.UUID) -> None:
    district_id = principal.require_district()
    await _require_learner(session, district_id, learner_id)
    # A held pending deletion becomes pending again at the next evaluation, not now: lifting
    # must not make a deletion due before the district's policy is looked at again.
    if not await repo.lift_hold(session, district_id, learner_id, principal.subject, utcnow()):
        raise NotFound("This learner is not under a legal hold.", slug="legal-hold-not-found")


# Policies ----------------------------------------------------------------------------------


def _policy_of(row: RowMapping | None) -> RetentionPolicy:
    if row is None:
        return DEFAULT_POLICY
    return RetentionPolicy(
        enabled=row["enabled"],
        delete_after_days_since_leaving=row["delete_after_days_since_leaving"],
        delete_after_days_since_leaving_under_13=row["delete_after_days_since_leaving_under_13"],
        audit_log_days=row["audit_log_days"],
    )


def _policy_out(district_id: uuid.UUID, row: RowMapping | None) -> RetentionPolicyOut:
    policy = _policy_of(row)
    return RetentionPolicyOut(
        district_id=district_id,
        enabled=policy.enabled,
        delete_after_days_since_leaving=policy.delete_after_days_since_leaving,
        delete_after_days_since_leaving_under_13=policy.delete_after_days_since_leaving_under_13,
        audit_log_days=policy.audit_log_days,
        is_default=row is None,
        updated_by=row["updated_by"] if row else None,
        updated_at=row["updated_at"] if row else None,
    )


def _own_district(principal: Principal, district_id: uuid.UUID) -> uuid.UUID:
    if district_id != principal.require_district():
        # Another district's policy does not exist for this caller (404, never 403).
        raise NotFound("No such district.", slug="district-not-found")
    return district_id


async def get_policy(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID
) -> RetentionPolicyOut:
    _own_district(principal, district_id)
    return _policy_out(district_id, await repo.get_policy(session, district_id))


async def put_policy(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID, body: RetentionPolicyIn
) -> RetentionPolicyOut:
    _own_district(principal, district_id)
    values = body.model_dump()
    errors = rules.policy_errors(values)
    if errors:
        raise UnprocessableContent(
            "The retention policy is not consistent.",
            slug="retention-policy-invalid",
            errors=errors,
        )
    await repo.put_policy(
        session,
        {
            "district_id": district_id,
            **values,
            "updated_by": principal.subject,
            "updated_at": utcnow(),
        },
    )
    if not body.enabled:
        # Off means nothing is due: the job must not take learners a former policy found.
        await repo.clear_stale(session, district_id, None)
    return _policy_out(district_id, await repo.get_policy(session, district_id))


async def audit_log_policies(session: AsyncSession, principal: Principal) -> AuditLogPolicies:
    """Every district's ``audit_log_days``, for the gateway's audit log sweep: the system only
    (a system principal of one district gets that district's alone)."""
    if not principal.is_system:
        raise Forbidden("Only the system reads every district's policy.", slug="system-only")
    rows = await repo.audit_log_policies(session, principal.district_id)
    return AuditLogPolicies(
        districts=[
            AuditLogPolicy(district_id=r["district_id"], audit_log_days=r["audit_log_days"])
            for r in rows
        ]
    )


# The scheduled evaluation ------------------------------------------------------------------


async def evaluate_district(
    session: AsyncSession, district_id: uuid.UUID, policy: RetentionPolicy, now: datetime
) -> int:
    """Record every learner of the district due by ``policy`` (pending, or held by a legal
    hold), drop the rows no longer due; how many are due."""
    today = now.date()
    due = 0
    after: uuid.UUID | None = None
    while True:
        students = await repo.students_page(session, district_id, after, _BATCH)
        if not students:
            break
        after = students[-1]["id"]
        ids = [s["id"] for s in students]
        found = await repo.enrollments_of(session, district_id, ids)
        holds = await repo.holds_of(session, district_id, ids)
        for user in students:
            facts = _facts(user, found.get(user["id"], []), holds.get(user["id"]))
            outcome = rules.evaluate(facts, policy, today)
            if outcome is None:
                continue
            held = not rules.may_delete(facts, now).allowed
            await repo.upsert_pending(
                session,
                {
                    "learner_id": user["id"],
                    "district_id": district_id,
                    "state": "held" if held else "pending",
                    "rule": outcome.rule,
                    "left_on": outcome.left_on,
                    "due_since": outcome.due_since,
                    "found_at": now,
                    "updated_at": now,
                },
            )
            due += 1
        if len(students) < _BATCH:
            break
    await repo.clear_stale(session, district_id, now)
    await repo.mark_run(session, district_id, now)
    return due


async def sweep_retention(session: AsyncSession, *, now: datetime | None = None) -> int:
    """One evaluation of every district whose policy is on; how many learners are due."""
    now = now or utcnow()
    due = 0
    for row in await repo.enabled_policies(session):
        due += await evaluate_district(session, row["district_id"], _policy_of(row), now)
    return due


async def run_retention_sweeps(
    db: Database, interval_seconds: float, rounds: int | None = None
) -> None:
    """The schedule: an evaluation every ``interval_seconds`` (``rounds`` bounds it, for tests)."""
    await run_every(
        db,
        interval_seconds,
        sweep_retention,
        name="retention evaluation",
        done_message="%d learners due for deletion (pending or held)",
        rounds=rounds,
    )


# The deletion job's side -------------------------------------------------------------------


def _deletion_job(principal: Principal) -> uuid.UUID | None:
    """Only the gateway's deletion job takes pending learners and records their deletion; its
    principal without a district reads every district's."""
    if not principal.is_system or principal.subject != f"system:{DELETION_JOB}":
        raise Forbidden("Only the deletion job takes pending deletions.", slug="system-only")
    return principal.district_id


async def due_pending(session: AsyncSession, principal: Principal, limit: int) -> DuePendingList:
    """The learners ``pending`` (due, no hold when last evaluated) of the districts whose policy
    is on, oldest due first. The job asks ``may_delete`` again before it starts each."""
    rows = await repo.due_pending(session, _deletion_job(principal), limit)
    return DuePendingList(
        items=[
            DuePending(
                learner_id=r["learner_id"],
                district_id=r["district_id"],
                rule=r["rule"],
                left_on=r["left_on"],
                due_since=r["due_since"],
            )
            for r in rows
        ]
    )


async def record_deleted(
    session: AsyncSession, principal: Principal, body: RetentionDeletedIn
) -> None:
    """The job erased a learner the policy made due (in the principal's district)."""
    district_id = _deletion_job(principal)
    if district_id is None:
        raise Forbidden("A deletion is recorded in its district.", slug="system-only")
    await repo.record_deleted(
        session, {**body.model_dump(), "district_id": district_id, "deleted_at": utcnow()}
    )


# The report --------------------------------------------------------------------------------


def _pending(row: RowMapping) -> dict[str, object]:
    return {
        "learner_id": row["learner_id"],
        "rule": row["rule"],
        "left_on": row["left_on"],
        "due_since": row["due_since"],
        "state": row["state"],
    }


async def report(
    session: AsyncSession, principal: Principal, district_id: uuid.UUID
) -> RetentionReport:
    _own_district(principal, district_id)
    policy_row = await repo.get_policy(session, district_id)
    counts: Mapping[str, int] = await repo.count_states(session, district_id)
    pending = await repo.list_state(session, district_id, "pending", _REPORT_ROWS)
    held = await repo.list_state(session, district_id, "held", _REPORT_ROWS)
    holds = await repo.holds_of(session, district_id, [r["learner_id"] for r in held])
    deleted = await repo.recent_deleted(session, district_id, _REPORT_ROWS)
    executed = _policy_of(policy_row).enabled
    return RetentionReport(
        district_id=district_id,
        policy=_policy_out(district_id, policy_row),
        last_run_at=policy_row["last_run_at"] if policy_row else None,
        executed=executed,
        execution=EXECUTED if executed else NOT_EXECUTED,
        counts=RetentionCounts(
            pending=counts.get("pending", 0),
            held=counts.get("held", 0),
            deleted=await repo.count_deleted(session, district_id),
        ),
        pending=[PendingLearner.model_validate(_pending(r)) for r in pending],
        held=[
            HeldLearner.model_validate(
                {
                    **_pending(r),
                    "hold_until": holds[r["learner_id"]]["until"]
                    if r["learner_id"] in holds
                    else None,
                    "hold_reason": holds[r["learner_id"]]["reason"]
                    if r["learner_id"] in holds
                    else "",
                }
            )
            for r in held
        ],
        deleted=[DeletedLearner.model_validate(dict(r)) for r in deleted],
    )
