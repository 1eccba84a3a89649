"""The audit writer keeps entries off the request path (``record`` only buffers; a background
task writes them in batches) and loses none on an orderly shutdown: ``stop`` writes what is still
buffered, every entry exactly once."""

import asyncio
import uuid
from pathlib import Path

from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database

DISTRICT = uuid.uuid4()


def _teacher() -> Principal:
    uid = uuid.uuid4()
    return Principal(
        subject=str(uid), kind="user", district_id=DISTRICT,
        roles=frozenset({"teacher"}), user_id=uid,
    )  # fmt: skip


def _record(audit: AuditLog, principal: Principal, first: int, n: int) -> None:
    for i in range(first, first + n):
        audit.record(
            principal,
            operation="getLearnerProfile",
            action="read",
            method="GET",
            path=f"/v1/learners/{i}/profile",
            status=200,
            request_id=f"req-{i:05d}",
            learner_id=uuid.uuid4(),
        )


async def _written(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        rows = await conn.exec_driver_sql("SELECT request_id FROM audit_log ORDER BY request_id")
        return [row[0] for row in rows]


async def test_stop_writes_every_buffered_entry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    await asyncio.to_thread(MIGRATIONS.upgrade, url)
    db = Database(url)
    # The periodic flush never comes in this test: only stop() can write the entries.
    audit = AuditLog(db, flush_seconds=3600)
    try:
        audit.start()
        _record(audit, _teacher(), 0, 1500)
        assert audit.pending == 1500
        assert await _written(db) == []  # recording wrote nothing: no round trip per call
        await audit.stop()
        assert audit.pending == 0
        assert await _written(db) == [f"req-{i:05d}" for i in range(1500)]
    finally:
        await db.dispose()


async def test_the_background_task_writes_batches_while_running(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    await asyncio.to_thread(MIGRATIONS.upgrade, url)
    db = Database(url)
    audit = AuditLog(db, flush_seconds=0.01)
    try:
        audit.start()
        _record(audit, _teacher(), 0, 300)
        while audit.pending:
            await asyncio.sleep(0.01)
        _record(audit, _teacher(), 300, 5)
        await audit.stop()
        assert await _written(db) == [f"req-{i:05d}" for i in range(305)]
    finally:
        await db.dispose()
