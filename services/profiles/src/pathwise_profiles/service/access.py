"""The access check: facts from one query, decision from the pure rules."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.access_rules import Decision, TargetKind, decide
from pathwise_profiles.repository.access import load_relations
from pathwise_shared.auth import Principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.uow import StatementReader, one_statement_read
from pathwise_shared.problems import Forbidden, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["check_access", "check_alone", "enforce", "require_access"]


async def check_alone(
    db: Database, principal: Principal, action: str, target: TargetKind, object_id: uuid.UUID
) -> Decision:
    """The check as a request of its own (the gateway's ``POST /internal/access-check`` on a
    cache miss): its one statement on a connection without a transaction, so no ``BEGIN`` and
    ``COMMIT`` around it."""
    async with one_statement_read(db) as conn:
        return await check_access(conn, principal, action, target, object_id)


async def check_access(
    session: StatementReader,
    principal: Principal,
    action: str,
    target: TargetKind,
    object_id: uuid.UUID,
) -> Decision:
    relations = await load_relations(session, principal, target, object_id, utcnow().date())
    return decide(principal, action, target, relations)


async def require_access(
    session: AsyncSession,
    principal: Principal,
    action: str,
    target: TargetKind,
    object_id: uuid.UUID,
) -> Decision:
    """The same check, as the service's own guard: 404 when absent, 403 when not allowed."""
    return enforce(
        await check_access(session, principal, action, target, object_id), action, target
    )


def enforce(decision: Decision, action: str, target: TargetKind) -> Decision:
    """The guard's answer to a decision: 404 when absent, 403 when not allowed (a read that
    fetched the access facts with its own data decides here too)."""
    if not decision.found:
        raise NotFound(f"No such {target} in your district.", slug=f"{target}-not-found")
    if not decision.allowed:
        raise Forbidden(
            f"You may not {action} this {target}.", slug="access-denied", reason=decision.reason
        )
    return decision
