"""The audit log of reads and changes of learners' records through the gateway.

Entries are buffered in memory and written in batches every fraction of a second (and on
shutdown), so auditing adds no database round trip to the request path. Readers flush first,
so what they see includes every call answered before theirs.

When the database is down, a failed write keeps its entries (oldest first) and the next flush
tries again; the calls being audited go on. The buffer is bounded (``max_entries``): past it, new
entries are dropped and counted, so an outage cannot exhaust the gateway's memory. Both are logged
once per outage, not once per flush, and the recovery says how much was written or lost.

Durability: an orderly shutdown loses nothing (``stop`` lets a write in progress finish, then
writes the rest; a write cancelled half way puts its entries back first). A crash (kill -9, power
loss) loses at most the last ``flush_seconds`` of entries: the price of taking the database round
trip off every audited call. A write cancelled while its commit is in flight may, rarely, write
its entries twice (an audit trail may repeat a line; it must not miss one).
"""

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from fastapi import FastAPI

from pathwise_gateway.proxy.repository.audit import append_entries
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.errors import is_database_unavailable
from pathwise_shared.db.uow import transaction
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow
from pathwise_shared.waiting import wait_set

__all__ = ["AuditLog", "start_audit_log", "stop_audit_log"]

logger = logging.getLogger("pathwise.gateway.audit")
_MAX_BUFFER = 10_000


class AuditLog:
    def __init__(
        self, db: Database, flush_seconds: float = 0.5, max_entries: int = _MAX_BUFFER
    ) -> None:
        self._db = db
        self._flush_seconds = flush_seconds
        self._max_entries = max_entries
        self._buffer: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._failing = False  # the last write failed: an outage is in progress
        self.dropped = 0  # entries refused because the buffer was full, since start
        self._drop_reported = False

    @property
    def pending(self) -> int:
        """Entries not written yet."""
        return len(self._buffer)

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
        if len(self._buffer) >= self._max_entries:
            self._drop(1)
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

    def _drop(self, count: int) -> None:
        if not self._drop_reported:
            self._drop_reported = True
            logger.error(
                "audit buffer full (%d entries): the database is not taking entries; "
                "dropping new ones until it does",
                self._max_entries,
            )
        self.dropped += count

    async def flush(self) -> None:
        """Write what is buffered. Never raises for a database failure: the entries stay."""
        async with self._lock:
            if not self._buffer:
                return
            rows, self._buffer = self._buffer, []
            try:
                async with transaction(self._db) as conn:
                    await append_entries(conn, rows)
            except asyncio.CancelledError:
                # Cancelled mid-write (shutdown ran out of time): the transaction rolled back,
                # so keep the entries, oldest first, for whoever flushes next.
                self._buffer = rows + self._buffer
                raise
            except Exception as exc:
                if not is_database_unavailable(exc):
                    logger.exception("audit: could not write %d entries; will retry", len(rows))
                elif not self._failing:
                    # Once per outage: a flush runs every fraction of a second.
                    logger.error(
                        "audit: database unavailable, %d entries kept for later (%s: %s)",
                        len(rows),
                        type(exc).__name__,
                        str(exc)[:200],
                    )
                self._failing = True
                # Oldest first, as they happened; what came in meanwhile goes after them.
                held = rows + self._buffer
                if len(held) > self._max_entries:
                    self._drop(len(held) - self._max_entries)
                    held = held[: self._max_entries]
                self._buffer = held
                return
            if self._failing:
                logger.warning(
                    "audit: database writable again; wrote %d held entries (%d dropped so far)",
                    len(rows),
                    self.dropped,
                )
            self._failing = False
            self._drop_reported = False

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await wait_set(self._stopping, self._flush_seconds)
            await self.flush()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="gateway-audit-flush")

    async def stop(self, timeout_seconds: float = 30.0) -> None:
        """Write everything buffered. A write in progress is let finish (cancelling it would
        lose its batch), within ``timeout_seconds``; then it is cancelled and its entries kept."""
        if self._task is not None:
            self._stopping.set()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout_seconds)
            self._task = None
        await self.flush()
        if self._buffer:
            logger.error(
                "audit: %d entries could not be written before shutdown and are lost",
                len(self._buffer),
            )


async def start_audit_log(app: FastAPI) -> None:
    audit = AuditLog(app.state.db, app.state.settings.audit_flush_seconds)
    audit.start()
    app.state.audit = audit


async def stop_audit_log(app: FastAPI) -> None:
    audit: AuditLog | None = getattr(app.state, "audit", None)
    if audit is not None:
        await audit.stop()
