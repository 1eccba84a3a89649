"""Legal holds on learners and the districts' retention policies and reports (docs/privacy.md).
District administrators only: a hold and a retention decision are the district's, as the
controller of its learners' data; no school admin, teacher or integration client."""

import uuid

from fastapi import APIRouter, Query, Response, status

from pathwise_profiles.schemas.retention import (
    AuditLogPolicies,
    DuePendingList,
    LegalHoldIn,
    LegalHoldOut,
    RetentionDeletedIn,
    RetentionPolicyIn,
    RetentionPolicyOut,
    RetentionReport,
)
from pathwise_profiles.service import retention as svc
from pathwise_shared.access import access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.problems import problem_responses

__all__ = ["internal_router", "router"]

router = APIRouter(prefix="/v1", tags=["retention"])
# For the gateway's audit log sweep only (never exposed: the gateway routes /v1 alone).
internal_router = APIRouter(
    prefix="/internal", tags=["internal"], responses=problem_responses(401, 403)
)

DISTRICT_ADMIN = frozenset({"district_admin"})


@router.get(
    "/learners/{learner_id}/legal-hold", **access(roles=DISTRICT_ADMIN, learner="learner_id")
)
async def get_legal_hold(
    learner_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> LegalHoldOut:
    """The learner's legal hold, in place or lifted (``active`` says whether it holds today);
    404 ``legal-hold-not-found`` if there never was one."""
    return await svc.get_hold(session, principal, learner_id)


@router.put(
    "/learners/{learner_id}/legal-hold",
    **access(roles=DISTRICT_ADMIN, action="write", learner="learner_id"),
)
async def set_legal_hold(
    learner_id: uuid.UUID, body: LegalHoldIn, principal: CurrentPrincipal, session: DbSession
) -> LegalHoldOut:
    """Put the learner under a legal hold (or replace the hold): no deletion of their data,
    by the user delete route, the retention policy or the deletion job, until it is lifted or
    its ``until`` day has passed."""
    return await svc.set_hold(session, principal, learner_id, body)


@router.delete(
    "/learners/{learner_id}/legal-hold",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=DISTRICT_ADMIN, action="write", learner="learner_id"),
)
async def lift_legal_hold(
    learner_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Lift the learner's hold (the record of it stays, with who lifted it and when); 404
    ``legal-hold-not-found`` when none is in place."""
    await svc.lift_hold(session, principal, learner_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/districts/{district_id}/retention-policy", **access(roles=DISTRICT_ADMIN))
async def get_retention_policy(
    district_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> RetentionPolicyOut:
    """The district's retention policy; the defaults (``enabled: false``, ``is_default``)
    until it sets one: nothing is ever due for deletion by surprise."""
    return await svc.get_policy(session, principal, district_id)


@router.put(
    "/districts/{district_id}/retention-policy",
    **access(roles=DISTRICT_ADMIN, action="write"),
)
async def put_retention_policy(
    district_id: uuid.UUID, body: RetentionPolicyIn, principal: CurrentPrincipal, session: DbSession
) -> RetentionPolicyOut:
    """Replace the district's retention policy. Periods are 30-3650 days; the under-13 period
    is at most the general one (422 ``retention-policy-invalid``). Turning it off drops the
    learners found due so far."""
    return await svc.put_policy(session, principal, district_id, body)


@router.get("/districts/{district_id}/retention-report", **access(roles=DISTRICT_ADMIN))
async def get_retention_report(
    district_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> RetentionReport:
    """The policy, when the scheduled evaluation last ran, the learners due for deletion with
    the rule that applies, those held back by a legal hold, and those the deletion job erased
    for the policy (by deletion and tombstone: their id is gone)."""
    return await svc.report(session, principal, district_id)


@internal_router.get("/retention/audit-log-days")
async def audit_log_policies(principal: CurrentPrincipal, session: DbSession) -> AuditLogPolicies:
    """The districts whose retention policy is on and sets ``audit_log_days`` (system only,
    403 ``system-only``): the gateway deletes their audit entries older than that."""
    return await svc.audit_log_policies(session, principal)


# The gateway's deletion job only (403 ``system-only`` to anyone else); never public.
@internal_router.get("/retention/pending")
async def list_due_pending(
    principal: CurrentPrincipal,
    session: DbSession,
    limit: int = Query(100, ge=1, le=1000),
) -> DuePendingList:
    """Learners due for deletion and not held, of every district whose policy is on (the
    job's principal without a district) or of the principal's district, oldest due first."""
    return await svc.due_pending(session, principal, limit)


@internal_router.post("/retention/deletions", status_code=status.HTTP_204_NO_CONTENT)
async def record_retention_deletion(
    body: RetentionDeletedIn, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """The deletion job erased a learner the policy made due: recorded for the report by the
    deletion's id and tombstone (again: nothing new)."""
    await svc.record_deleted(session, principal, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
