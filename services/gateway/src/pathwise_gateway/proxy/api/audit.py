"""``/v1/audit``: the audit log of reads and changes of learners' records, read side."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.proxy.api.deps import AuditLogDep, GatewayDep
from pathwise_gateway.proxy.schemas import AuditEntryOut
from pathwise_gateway.proxy.service import audit_queries as service
from pathwise_shared.app import DbSession
from pathwise_shared.inputs import Timestamp
from pathwise_shared.pagination import (
    CursorParam,
    LimitParam,
    Page,
    decode_id_cursor,
    page_of,
)
from pathwise_shared.problems import UnprocessableContent

__all__ = ["router"]

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    summary="Search the district's audit log (newest first)",
    # District admins see the whole district's log: the learner filter only narrows it.
    **gateway_access(roles=["district_admin"], service_checks=["learner_id"]),
)
async def search_audit(
    audit: AuditLogDep,
    session: DbSession,
    principal: CallerPrincipal,
    learner_id: uuid.UUID | None = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    since: Annotated[Timestamp | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[Timestamp | None, Query(description="Before this time")] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[AuditEntryOut]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise UnprocessableContent(f"{name} needs a time zone (e.g. Z).", slug="naive-time")
    found = service.AuditFilter(learner_id, actor, since, until, decode_id_cursor(cursor))
    rows = await service.search_audit(session, audit, principal, found, limit)
    return page_of(rows, limit, lambda e: (e.id,), AuditEntryOut.of)


@router.get(
    "/learners/{learner_id}",
    response_model=Page[AuditEntryOut],
    summary="Who read or changed this learner's records (for the learner's guardians)",
    **gateway_access(roles=["guardian", "school_admin", "district_admin"], learner="learner_id"),
)
async def learner_audit(
    learner_id: uuid.UUID,
    gateway: GatewayDep,
    session: DbSession,
    principal: CallerPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[AuditEntryOut]:
    rows = await service.learner_audit(
        session, gateway, principal, learner_id, decode_id_cursor(cursor), limit
    )
    return page_of(rows, limit, lambda e: (e.id,), AuditEntryOut.of)
