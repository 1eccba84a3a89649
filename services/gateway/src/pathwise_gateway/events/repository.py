"""Every query of the event store and the delivery queue (SQLAlchemy Core)."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Integer, Row, bindparam, case, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.events.models import (
    event_deliveries,
    event_log,
    webhook_attempts,
    webhook_endpoints,
)

__all__ = [
    "DeliveryUpdate",
    "LaneLimits",
    "claim_due_deliveries",
    "claim_work",
    "clear_failing",
    "disable_endpoint",
    "enabled_endpoints",
    "insert_attempts",
    "insert_deliveries",
    "insert_new_events",
    "load_work",
    "mark_failing",
    "release_claims",
    "update_deliveries",
]

DeliveryUpdate = dict[str, Any]

# Insert an event unless its id is stored already; RETURNING names the rows actually inserted.
_INSERT_NEW_EVENTS = {
    is_pg: (postgresql.insert if is_pg else sqlite.insert)(event_log)
    .on_conflict_do_nothing(index_elements=[event_log.c.id])
    .returning(event_log.c.id)
    for is_pg in (False, True)
}


async def insert_new_events(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[uuid.UUID]:
    """Insert the events not stored yet; the ids actually inserted (a repeat is a no-op)."""
    if not rows:
        return set()
    statement = _INSERT_NEW_EVENTS[session.get_bind().dialect.name == "postgresql"]
    # Parameters apart from the statement: it is compiled once and cached, and SQLAlchemy sends
    # the rows as batched multi-row INSERTs ("insertmanyvalues"); ``.values(rows)`` would compile
    # a new statement for every batch, which was most of the ingest's time under load.
    return {row.id for row in await session.execute(statement, list(rows))}


async def enabled_endpoints(
    session: AsyncSession, district_ids: Iterable[uuid.UUID]
) -> Sequence[Any]:
    ids = set(district_ids)
    if not ids:
        return []
    query = select(
        webhook_endpoints.c.id, webhook_endpoints.c.district_id, webhook_endpoints.c.event_types
    ).where(webhook_endpoints.c.enabled.is_(True), webhook_endpoints.c.district_id.in_(ids))
    return (await session.execute(query)).all()


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(event_deliveries.insert(), list(rows))


@dataclass(frozen=True)
class LaneLimits:
    """How much one claim may take per lane, so that no endpoint's backlog crowds out the others.

    A lane is one webhook endpoint or one internal subscriber. ``webhooks`` caps the claim's
    deliveries to district endpoints (the dispatcher's room under its global cap; 0 claims
    internal deliveries only); ``skip_*`` are lanes already at their budget, left out before the
    ``LIMIT`` so a hanging endpoint's backlog does not fill every claim.
    """

    per_endpoint: int
    per_subscriber: int
    webhooks: int
    skip_endpoints: frozenset[uuid.UUID] = frozenset()
    skip_subscribers: frozenset[str] = frozenset()


def _claim_params(
    now: datetime, lease_until: datetime, limit: int, lanes: LaneLimits | None
) -> tuple[tuple[bool, bool, bool] | None, dict[str, Any]]:
    """The claim's shape (which conditions it has) and its values, apart: the statement is built
    once per shape, and the dispatcher claims after every publish (building it was about a
    seventh of the gateway's CPU while learners answered)."""
    params: dict[str, Any] = {"now": now, "lease_until": lease_until, "limit": limit}
    if lanes is None:
        return None, params
    params |= {
        "per_endpoint": lanes.per_endpoint,
        "per_subscriber": lanes.per_subscriber,
        "webhooks": lanes.webhooks,
    }
    if lanes.skip_endpoints:
        params["skip_endpoints"] = sorted(lanes.skip_endpoints)
    if lanes.skip_subscribers:
        params["skip_subscribers"] = sorted(lanes.skip_subscribers)
    shape = (lanes.webhooks <= 0, bool(lanes.skip_endpoints), bool(lanes.skip_subscribers))
    return shape, params


@lru_cache(maxsize=16)
def _claim_statement(shape: tuple[bool, bool, bool] | None) -> Any:
    """Move the next attempt of up to ``:limit`` due deliveries to the end of the lease."""
    d = event_deliveries
    conditions = [d.c.status == "pending", d.c.next_attempt_at <= bindparam("now")]
    if shape is not None:
        internal_only, skip_endpoints, skip_subscribers = shape
        if internal_only:
            conditions.append(d.c.endpoint_id.is_(None))
        if skip_endpoints:
            endpoints: BindParameter[Any] = bindparam("skip_endpoints", expanding=True)
            conditions.append(or_(d.c.endpoint_id.is_(None), d.c.endpoint_id.not_in(endpoints)))
        if skip_subscribers:
            subscribers: BindParameter[Any] = bindparam("skip_subscribers", expanding=True)
            conditions.append(or_(d.c.subscriber.is_(None), d.c.subscriber.not_in(subscribers)))
    columns = [d.c.id]
    if shape is not None:
        columns += [d.c.endpoint_id, d.c.subscriber, d.c.next_attempt_at]
    due = (
        select(*columns)
        .where(*conditions)
        .order_by(d.c.next_attempt_at)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    if shape is None:
        chosen = due
    else:
        # Of the locked candidates, the oldest few of each lane (rows left out are unlocked at
        # commit and stay due). The window runs a level above the locking SELECT: PostgreSQL
        # refuses FOR UPDATE beside a window function.
        candidates = due.subquery("candidates")
        c = candidates.c
        ranked = select(
            c.id,
            c.endpoint_id,
            func.row_number()
            .over(partition_by=(c.endpoint_id, c.subscriber), order_by=c.next_attempt_at)
            .label("in_lane"),
            func.row_number()
            .over(partition_by=c.endpoint_id.is_(None), order_by=c.next_attempt_at)
            .label("in_class"),
        ).subquery("ranked")
        r = ranked.c
        per_lane = case(
            (r.endpoint_id.is_(None), bindparam("per_subscriber", type_=Integer)),
            else_=bindparam("per_endpoint", type_=Integer),
        )
        chosen = select(r.id).where(
            r.in_lane <= per_lane,
            or_(r.endpoint_id.is_(None), r.in_class <= bindparam("webhooks", type_=Integer)),
        )
    lease = bindparam("lease_until", type_=d.c.next_attempt_at.type)
    return update(d).where(d.c.id.in_(chosen.scalar_subquery())).values(next_attempt_at=lease)


async def claim_due_deliveries(
    session: AsyncSession,
    now: datetime,
    lease_until: datetime,
    limit: int,
    lanes: LaneLimits | None = None,
) -> list[uuid.UUID]:
    """Take up to ``limit`` due deliveries: their next attempt moves to the end of the lease, so
    a dispatcher that dies holding them gives them back when it runs out. ``SKIP LOCKED`` lets
    dispatchers on several replicas (PostgreSQL) claim disjoint batches."""
    shape, params = _claim_params(now, lease_until, limit, lanes)
    return [row.id for row in await session.execute(_claim_ids(shape), params)]


@lru_cache(maxsize=16)
def _claim_ids(shape: tuple[bool, bool, bool] | None) -> Any:
    return _claim_statement(shape).returning(event_deliveries.c.id)


def _work_columns(d: Any) -> tuple[Any, ...]:
    """What a dispatcher needs to send a delivery (``d`` is the deliveries table or a CTE)."""
    e, w = event_log, webhook_endpoints
    return (
        d.c.id,
        d.c.event_id,
        d.c.district_id,
        d.c.endpoint_id,
        d.c.subscriber,
        d.c.attempt_count,
        e.c.envelope,
        w.c.url,
        w.c.enabled,
        w.c.secret,
        w.c.previous_secret,
        w.c.previous_secret_expires_at,
        w.c.failing_since,
    )


async def claim_work(
    session: AsyncSession,
    now: datetime,
    lease_until: datetime,
    limit: int,
    lanes: LaneLimits | None = None,
) -> Sequence[Any]:
    """``claim_due_deliveries`` and ``load_work`` together. On PostgreSQL that is one statement
    (the claiming ``UPDATE … RETURNING`` in a CTE, joined to the event and the endpoint): one
    round trip, and no ``IN`` list of 200 ids whose changing length defeats the prepared
    statement cache. SQLite has no DML in a CTE, and no round trips to save."""
    if session.get_bind().dialect.name != "postgresql":
        ids = await claim_due_deliveries(session, now, lease_until, limit, lanes)
        return await load_work(session, ids) if ids else []
    shape, params = _claim_params(now, lease_until, limit, lanes)
    return (await session.execute(_claim_work(shape), params)).all()


@lru_cache(maxsize=16)
def _claim_work(shape: tuple[bool, bool, bool] | None) -> Any:
    d = event_deliveries
    claimed = (
        _claim_statement(shape)
        .returning(
            d.c.id,
            d.c.event_id,
            d.c.district_id,
            d.c.endpoint_id,
            d.c.subscriber,
            d.c.attempt_count,
        )
        .cte("claimed")
    )
    query = (
        select(*_work_columns(claimed))
        .select_from(claimed)
        .join(event_log, event_log.c.id == claimed.c.event_id)
        .outerjoin(webhook_endpoints, webhook_endpoints.c.id == claimed.c.endpoint_id)
    )
    return query


async def load_work(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Any]:
    """What a dispatcher needs to send each delivery: the event, and the endpoint if any."""
    d = event_deliveries
    query = (
        select(*_work_columns(d))
        .join(event_log, event_log.c.id == d.c.event_id)
        .outerjoin(webhook_endpoints, webhook_endpoints.c.id == d.c.endpoint_id)
        .where(d.c.id.in_(ids))
    )
    return (await session.execute(query)).all()


async def insert_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(webhook_attempts.insert(), list(rows))


_UPDATE_DELIVERY = (
    update(event_deliveries)
    .where(event_deliveries.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempt_count=bindparam("b_attempt_count"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        last_attempt_at=bindparam("b_last_attempt_at"),
        last_status_code=bindparam("b_last_status_code"),
        last_error=bindparam("b_last_error"),
        delivered_at=bindparam("b_delivered_at"),
    )
)


# PostgreSQL: the whole batch as one statement over arrays, one per column (``unnest`` zips them
# into rows). The text never changes with the batch size, so it stays prepared; an executemany
# of the single-row UPDATE costs one statement execution per delivery on the server.
_UPDATE_DELIVERIES_PG = text(
    """
    UPDATE event_deliveries AS d SET
        status = v.status,
        attempt_count = v.attempt_count,
        next_attempt_at = v.next_attempt_at,
        last_attempt_at = v.last_attempt_at,
        last_status_code = v.last_status_code,
        last_error = v.last_error,
        delivered_at = v.delivered_at
    FROM unnest(
        CAST(:ids AS uuid[]),
        CAST(:statuses AS varchar[]),
        CAST(:attempt_counts AS integer[]),
        CAST(:next_attempt_ats AS timestamptz[]),
        CAST(:last_attempt_ats AS timestamptz[]),
        CAST(:last_status_codes AS integer[]),
        CAST(:last_errors AS varchar[]),
        CAST(:delivered_ats AS timestamptz[])
    ) AS v(id, status, attempt_count, next_attempt_at, last_attempt_at, last_status_code,
           last_error, delivered_at)
    WHERE d.id = v.id
    """
)

_PG_ARRAYS = {
    "ids": "b_id",
    "statuses": "b_status",
    "attempt_counts": "b_attempt_count",
    "next_attempt_ats": "b_next_attempt_at",
    "last_attempt_ats": "b_last_attempt_at",
    "last_status_codes": "b_last_status_code",
    "last_errors": "b_last_error",
    "delivered_ats": "b_delivered_at",
}


async def update_deliveries(session: AsyncSession, updates: Sequence[DeliveryUpdate]) -> None:
    """Each update has the keys ``b_id``, ``b_status``, ``b_attempt_count``, … (aware UTC
    datetimes). One statement on PostgreSQL, one executemany on SQLite."""
    if not updates:
        return
    if session.get_bind().dialect.name == "postgresql":
        arrays = {name: [u[key] for u in updates] for name, key in _PG_ARRAYS.items()}
        await session.execute(_UPDATE_DELIVERIES_PG, arrays)
        return
    await session.execute(_UPDATE_DELIVERY, list(updates))


async def clear_failing(session: AsyncSession, endpoint_ids: Iterable[uuid.UUID]) -> None:
    ids = set(endpoint_ids)
    if ids:
        await session.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id.in_(ids), webhook_endpoints.c.failing_since.is_not(None))
            .values(failing_since=None)
        )


async def mark_failing(
    session: AsyncSession, endpoint_ids: Iterable[uuid.UUID], since: datetime
) -> None:
    ids = set(endpoint_ids)
    if ids:
        await session.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.id.in_(ids), webhook_endpoints.c.failing_since.is_(None))
            .values(failing_since=since)
        )


async def disable_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, reason: str, now: datetime
) -> Row[Any] | None:
    """Disable an enabled endpoint; its row (for the event) or None if it already was."""
    w = webhook_endpoints
    statement = (
        update(w)
        .where(w.c.id == endpoint_id, w.c.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=now)
        .returning(w.c.id, w.c.district_id, w.c.url, w.c.failing_since)
    )
    return (await session.execute(statement)).first()


async def release_claims(
    session: AsyncSession, lease_until: datetime, ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Give back claimed deliveries that were never sent (a dispatcher stopping): due now, not at
    the end of the lease. Only while the claim is still ours: ``next_attempt_at`` is the lease we
    set, not a later claim's."""
    if ids:
        d = event_deliveries
        await session.execute(
            update(d)
            .where(d.c.id.in_(ids), d.c.status == "pending", d.c.next_attempt_at == lease_until)
            .values(next_attempt_at=now)
        )
