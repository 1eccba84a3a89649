"""The audit log of reads and changes of learners' records through the gateway.

Entries are buffered in memory and written in batches every fraction of a second (and on
shutdown), so auditing adds no database round trip to the request path. Readers flush first,
so what they see includes every call answered before theirs.
"""

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from fastapi import FastAPI

from pathwise_gateway.repository.audit import append_entries
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = ["AuditLog", "start_audit_log", "stop_audit_log"]

logger = logging.getLogger("pathwise.gateway.audit")
_MAX_BUFFER = 10_000


class AuditLog:
    def __init__(self, db: Database, flush_seconds: float = 0.5) -> None:
        self._db = db
        self._flush_seconds = flush_seconds
        self._buffer: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def record(
        self,
        principal: Principal,
        *,
        operation: str,
        action: str,
        method: str,
        path: str,
        status: int,
        request_id: str,
        learner_id: uuid.UUID | None = None,
        class_id: uuid.UUID | None = None,
    ) -> None:
        if principal.district_id is None:
            return
        if len(self._buffer) >= _MAX_BUFFER:
            logger.error("audit buffer full: the database is not taking entries")
            return
        self._buffer.append(
            {
                "id": new_id(),
                "occurred_at": utcnow(),
                "district_id": principal.district_id,
                "actor": principal.subject,
                "actor_kind": principal.kind,
                "actor_roles": sorted(principal.roles or principal.scopes),
                "learner_id": learner_id,
                "class_id": class_id,
                "operation": operation[:200],
                "action": action,
                "method": method,
                "path": path[:500],
                "status": status,
                "request_id": request_id[:128],
            }
        )

    async def flush(self) -> None:
        async with self._lock:
            if not self._buffer:
                return
            rows, self._buffer = self._buffer, []
            try:
                async with self._db.engine.begin() as conn:
                    await append_entries(conn, rows)
            except Exception:
                logger.exception("audit: could not write %d entries; will retry", len(rows))
                self._buffer[:0] = rows

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="gateway-audit-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


async def start_audit_log(app: FastAPI) -> None:
    audit = AuditLog(app.state.db, app.state.settings.audit_flush_seconds)
    audit.start()
    app.state.audit = audit


async def stop_audit_log(app: FastAPI) -> None:
    audit: AuditLog | None = getattr(app.state, "audit", None)
    if audit is not None:
        await audit.stop()
