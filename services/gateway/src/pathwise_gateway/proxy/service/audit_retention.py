"""The audit log's retention sweep (docs/privacy.md, "Retention"): every district whose
retention policy is on and sets ``audit_log_days`` loses its audit entries older than that.

The policies are profiles' (``GET /internal/retention/audit-log-days``, as the system). A
district without a policy, with its policy off or without ``audit_log_days`` keeps everything:
nothing is deleted by surprise. Each district's entries are deleted by their own district id,
the oldest first, in batches of ``batch``; at most ``max_batches`` per district and round, so a
first run over years of entries is spread over several rounds rather than one long transaction.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.proxy.domain.audit_retention import audit_cutoffs
from pathwise_gateway.proxy.repository.audit import delete_older
from pathwise_gateway.proxy.service.upstreams import Upstream
from pathwise_shared.calls import system_principal
from pathwise_shared.db import Database
from pathwise_shared.db.schedule import run_every
from pathwise_shared.timeutil import utcnow

__all__ = [
    "POLICIES_PATH",
    "delete_expired",
    "profiles_policies",
    "run_audit_retention",
    "start_audit_retention",
    "stop_audit_retention",
    "sweep_audit_log",
]

POLICIES_PATH = "/internal/retention/audit-log-days"
_SWEEPER = system_principal("audit-retention")

Policies = Callable[[], Awaitable[Any]]


def profiles_policies(profiles: Upstream) -> Policies:
    """Profiles' answer listing the districts' ``audit_log_days``."""

    async def read() -> Any:
        return await profiles.caller.json("GET", POLICIES_PATH, _SWEEPER)

    return read


async def delete_expired(
    session: AsyncSession,
    cutoffs: Mapping[uuid.UUID, datetime],
    *,
    batch: int = 1000,
    max_batches: int = 100,
) -> int:
    deleted = 0
    for district_id, cutoff in cutoffs.items():
        for _ in range(max_batches):
            count = await delete_older(session, district_id, cutoff, batch)
            deleted += count
            if count < batch:
                break
    return deleted


async def sweep_audit_log(
    session: AsyncSession,
    policies: Policies,
    *,
    now: datetime | None = None,
    batch: int = 1000,
    max_batches: int = 100,
) -> int:
    """One round: read the policies, delete what they let go; how many entries were deleted.
    Profiles unavailable: the round fails (logged by the schedule) and deletes nothing."""
    cutoffs = audit_cutoffs(await policies(), now or utcnow())
    return await delete_expired(session, cutoffs, batch=batch, max_batches=max_batches)


async def run_audit_retention(
    db: Database, policies: Policies, interval_seconds: float, rounds: int | None = None
) -> None:
    async def job(session: AsyncSession) -> int:
        return await sweep_audit_log(session, policies)

    await run_every(
        db,
        interval_seconds,
        job,
        name="audit log retention",
        done_message="%d audit entries past their district's audit_log_days deleted",
        rounds=rounds,
    )


async def start_audit_retention(app: FastAPI) -> None:
    """Start-up hook (after the upstreams). Off in tests, which run ``sweep_audit_log`` with
    their own clock, and when the interval is 0."""
    settings = app.state.settings
    interval: float = settings.audit_retention_interval_seconds
    if settings.environment == "test" or interval <= 0:
        return
    policies = profiles_policies(app.state.upstreams["profiles"])
    app.state.audit_retention = asyncio.create_task(
        run_audit_retention(app.state.db, policies, interval), name="gateway-audit-retention"
    )


async def stop_audit_retention(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "audit_retention", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
