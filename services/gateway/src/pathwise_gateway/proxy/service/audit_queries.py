"""Reading the audit log: a district admin's search, and who looked at one learner's records.

The log is buffered (see ``service/audit.py``); readers flush it first, so an answer includes
every call answered before the query. Entries are only ever appended, never changed.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.models import AuditEntry
from pathwise_gateway.proxy.repository.audit import list_entries
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.proxy.service.gateway import Gateway
from pathwise_shared.auth import Principal

__all__ = ["AuditFilter", "learner_audit", "search_audit"]


@dataclass(frozen=True)
class AuditFilter:
    learner_id: uuid.UUID | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: uuid.UUID | None = None


async def search_audit(
    session: AsyncSession, audit: AuditLog, principal: Principal, found: AuditFilter, limit: int
) -> Sequence[AuditEntry]:
    await audit.flush()
    return await list_entries(
        session,
        principal.require_district(),
        learner_id=found.learner_id,
        actor=found.actor,
        before=found.before,
        limit=limit,
        since=found.since,
        until=found.until,
    )


async def learner_audit(
    session: AsyncSession,
    gateway: Gateway,
    principal: Principal,
    learner_id: uuid.UUID,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """Who read or changed this learner's records: for the learner's guardians (and admins).
    The route's declared object check has run (another guardian's child 403, another district's
    learner 404)."""
    await gateway.audit.flush()
    return await list_entries(
        session,
        principal.require_district(),
        learner_id=learner_id,
        actor=None,
        before=before,
        limit=limit,
    )
