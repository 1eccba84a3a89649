"""The gateway's privacy sweeps on its real database (docs/privacy.md): audit entries past their
district's ``audit_log_days`` are deleted, in batches, and no other district's; a district
without a usable period keeps everything. Expired export zips leave the store and their jobs
read ``expired``."""

import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from pathwise_devstack.testing import ServiceClient
from pathwise_gateway.exports import repository as exports_repo
from pathwise_gateway.exports.models import learner_exports
from pathwise_gateway.exports.schemas import ExportJobOut
from pathwise_gateway.exports.service import sweep_expired_exports
from pathwise_gateway.models import AuditEntry
from pathwise_gateway.proxy.service.audit_retention import sweep_audit_log
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.ids import new_id
from pathwise_shared.storage import LocalFileStore
from pathwise_shared.timeutil import utcnow

NOW = utcnow()


def _policies(body: Any) -> Callable[[], Awaitable[Any]]:
    async def read() -> Any:
        return body

    return read


def _entry(district: uuid.UUID, days_ago: float, tag: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "occurred_at": NOW - timedelta(days=days_ago),
        "district_id": district,
        "actor": str(uuid.uuid4()),
        "actor_kind": "user",
        "actor_roles": ["guardian"],
        "learner_id": uuid.uuid4(),
        "class_id": None,
        "operation": "get_profile",
        "action": "read",
        "method": "GET",
        "path": "/v1/learners/x/profile",
        "status": 200,
        "request_id": tag,
    }


async def _add(db: Database, rows: list[dict[str, Any]]) -> None:
    async with unit_of_work(db, write=True) as session:
        await session.execute(insert(AuditEntry), rows)


async def _tags(db: Database, district: uuid.UUID) -> set[str]:
    async with unit_of_work(db, read_only=True) as session:
        found = await session.execute(
            select(AuditEntry.request_id).where(AuditEntry.district_id == district)
        )
        return set(found.scalars())


async def _sweep(db: Database, body: Any, **kwargs: Any) -> int:
    async with unit_of_work(db, write=True) as session:
        return await sweep_audit_log(session, _policies(body), now=NOW, **kwargs)


def _policy(district: uuid.UUID, days: Any) -> dict[str, Any]:
    return {"district_id": str(district), "audit_log_days": days}


async def test_audit_entries_past_the_districts_period_go_and_no_other_districts(
    gateway: ServiceClient,
) -> None:
    db: Database = gateway.app.state.db
    kept_whole, swept = uuid.uuid4(), uuid.uuid4()
    await _add(db, [_entry(kept_whole, 400, "a-old"), _entry(kept_whole, 5, "a-new")])
    await _add(db, [_entry(swept, 400, "b-old"), _entry(swept, 91, "b-91"),
                    _entry(swept, 89, "b-89"), _entry(swept, 5, "b-new")])  # fmt: skip

    # Only district B has a policy (90 days): B's older entries go, A keeps all of its own.
    assert await _sweep(db, {"districts": [_policy(swept, 90)]}) == 2
    assert await _tags(db, swept) == {"b-89", "b-new"}
    assert await _tags(db, kept_whole) == {"a-old", "a-new"}
    # A second round finds nothing more.
    assert await _sweep(db, {"districts": [_policy(swept, 90)]}) == 0


async def test_no_usable_period_deletes_nothing(gateway: ServiceClient) -> None:
    db: Database = gateway.app.state.db
    district = uuid.uuid4()
    await _add(db, [_entry(district, 4000, "ancient"), _entry(district, 200, "old")])
    # No policy listed, a period profiles would refuse, not a number, a malformed answer: the
    # whole log stays.
    answers: list[Any] = [
        {"districts": []},
        {"districts": [_policy(district, 30)]},
        {"districts": [_policy(district, 5000)]},
        {"districts": [_policy(district, "100")]},
        {"districts": [_policy(district, True)]},
        {"districts": [{"district_id": "not-an-id", "audit_log_days": 90}]},
        {"districts": "all"},
        None,
    ]
    for body in answers:
        assert await _sweep(db, body) == 0, body
    assert await _tags(db, district) == {"ancient", "old"}


async def test_deletion_goes_in_bounded_batches(gateway: ServiceClient) -> None:
    db: Database = gateway.app.state.db
    district = uuid.uuid4()
    # Made oldest first, as the gateway records them: ids (UUIDv7) in time order.
    await _add(db, [_entry(district, 100 + i, f"old-{i}") for i in reversed(range(7))])
    await _add(db, [_entry(district, 1, "new")])
    body = {"districts": [_policy(district, 90)]}
    # Two batches of 3 per round: 6 of the 7 this round, the oldest first.
    assert await _sweep(db, body, batch=3, max_batches=2) == 6
    assert await _tags(db, district) == {"old-0", "new"}
    assert await _sweep(db, body, batch=3, max_batches=2) == 1
    assert await _tags(db, district) == {"new"}


def _job(district: uuid.UUID, expires_at: datetime, key: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "district_id": district,
        "learner_id": uuid.uuid4(),
        "requested_by": str(uuid.uuid4()),
        "requested_role": "guardian",
        "state": "succeeded",
        "created_at": expires_at - timedelta(hours=72),
        "finished_at": expires_at - timedelta(hours=72),
        "expires_at": expires_at,
        "storage_key": key,
        "size_bytes": 3,
        "sha256": "0" * 64,
    }


async def test_expired_export_zips_leave_the_store(gateway: ServiceClient, tmp_path: Path) -> None:
    db: Database = gateway.app.state.db
    store = LocalFileStore(tmp_path)
    district = uuid.uuid4()
    old = _job(district, NOW - timedelta(minutes=1), f"exports/{district}/old.zip")
    fresh = _job(district, NOW + timedelta(hours=1), f"exports/{district}/fresh.zip")
    for job in (old, fresh):
        await store.put(job["storage_key"], io.BytesIO(b"zip"), "application/zip")
    async with unit_of_work(db, write=True) as session:
        await session.execute(insert(learner_exports), [old, fresh])

    async with unit_of_work(db, write=True) as session:
        assert await sweep_expired_exports(session, store, now=NOW) >= 1
    assert not await store.exists(old["storage_key"])
    assert await store.exists(fresh["storage_key"])
    async with unit_of_work(db, read_only=True) as session:
        gone = await exports_repo.job_by_id(session, old["id"])
        kept = await exports_repo.job_by_id(session, fresh["id"])
        assert gone is not None and kept is not None
        assert (gone["state"], gone["storage_key"]) == ("expired", None)
        assert ExportJobOut.of(gone).state == "expired" and ExportJobOut.of(gone).download is None
        assert (kept["state"], kept["storage_key"]) == ("succeeded", fresh["storage_key"])
        # Nothing succeeded and past its time is left.
        left = await session.execute(
            select(func.count()).where(
                learner_exports.c.state == "succeeded", learner_exports.c.expires_at <= NOW
            )
        )
        assert left.scalar_one() == 0
    # Swept again, nothing changes (the file is already gone).
    async with unit_of_work(db, write=True) as session:
        assert await sweep_expired_exports(session, store, now=NOW) == 0
