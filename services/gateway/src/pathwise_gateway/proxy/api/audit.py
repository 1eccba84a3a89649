"""The audit log of reads and changes of learners' records, read side: ``/v1/audit`` (admins,
ids and names) and ``/v1/learners/{learner_id}/access-log`` (guardians, plain words)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.proxy.api.deps import AuditLogDep, GatewayDep
from pathwise_gateway.proxy.schemas import AccessLogEntryOut, AuditEntryOut
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

router = APIRouter(tags=["audit"])


@router.get(
    "/v1/audit",
    response_model=Page[AuditEntryOut],
    summary="Search the district's audit log (newest first)",
    # District admins see the whole district's log: the learner filter only narrows it. School
    # admins use /v1/audit/learners/{learner_id}: an entry names no school, so a search across
    # the district could not be kept to theirs.
    **gateway_access(roles=["district_admin"], service_checks=["learner_id"]),
)
async def search_audit(
    audit: AuditLogDep,
    gateway: GatewayDep,
    session: DbSession,
    principal: CallerPrincipal,
    learner_id: uuid.UUID | None = None,
    actor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="A user id, or client:<client id>"),
    ] = None,
    operation: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=300,
            description="An operation id (get_profile) or the method and route template "
            "(GET /v1/learners/{learner_id}/profile)",
        ),
    ] = None,
    since: Annotated[Timestamp | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[Timestamp | None, Query(description="Before this time")] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[AuditEntryOut]:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise UnprocessableContent(f"{name} needs a time zone (e.g. Z).", slug="naive-time")
    found = service.AuditFilter(
        learner_id,
        actor,
        since,
        until,
        decode_id_cursor(cursor),
        service.operation_filter(gateway.routes.table, operation),
    )
    rows = await service.search_audit(
        session, audit, gateway.upstreams["profiles"], principal, found, limit
    )
    return page_of(rows, limit, lambda e: (e.entry.id,), AuditEntryOut.of)


@router.get(
    "/v1/audit/learners/{learner_id}",
    response_model=Page[AuditEntryOut],
    summary="Who read or changed this learner's records (admins: ids and names)",
    # The learner's school admins and district admins; guardians read the access log below,
    # which shows staff by name and role only.
    **gateway_access(roles=["school_admin", "district_admin"], learner="learner_id"),
)
async def learner_audit(
    learner_id: uuid.UUID,
    audit: AuditLogDep,
    gateway: GatewayDep,
    session: DbSession,
    principal: CallerPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[AuditEntryOut]:
    rows = await service.learner_audit(
        session,
        audit,
        gateway.upstreams["profiles"],
        principal,
        learner_id,
        decode_id_cursor(cursor),
        limit,
    )
    return page_of(rows, limit, lambda e: (e.entry.id,), AuditEntryOut.of)


@router.get(
    "/v1/learners/{learner_id}/access-log",
    response_model=Page[AccessLogEntryOut],
    summary="Who viewed or changed this learner's records, in plain words (for guardians)",
    # FERPA's record of disclosures is the parents' right until the student is eligible (18);
    # profiles knows no age, so students do not read it here. Admins read it to see what the
    # guardian sees.
    **gateway_access(roles=["guardian", "school_admin", "district_admin"], learner="learner_id"),
)
async def learner_access_log(
    learner_id: uuid.UUID,
    audit: AuditLogDep,
    gateway: GatewayDep,
    session: DbSession,
    principal: CallerPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[AccessLogEntryOut]:
    # Other guardians of the child read as their role only, whoever reads (admins see what a
    # guardian sees here; /v1/audit/learners/{learner_id} names everyone).
    rows = await service.learner_audit(
        session,
        audit,
        gateway.upstreams["profiles"],
        principal,
        learner_id,
        decode_id_cursor(cursor),
        limit,
        viewer=principal.subject,
    )
    return page_of(rows, limit, lambda e: (e.entry.id,), AccessLogEntryOut.of)
