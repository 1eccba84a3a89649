"""``Idempotency-Key`` on creating POSTs, the gateway's side of the rules in
``pathwise_shared.idempotency`` (docs/api.md, "Idempotency-Key").

The first answer is stored under (caller, key) with a fingerprint of the request and replayed on
retries; the same key with a different request is refused (422).

Before forwarding, a placeholder is committed so a concurrent retry sees it (409) instead of
forwarding a second time. The placeholder is a *lease*, not a lock: its ``expires_at`` is a few
seconds past the upstream timeout, by which time the forward has either answered or failed. A
gateway killed mid-forward never clears it, so a retry after the lease takes the record over and
forwards again; the service finds the resource it made the first time under the same scoped key
(it answers 200 with it) and that answer is stored. Each step is its own short transaction.
"""

import json
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from pathwise_gateway.proxy.repository import idempotency as repo
from pathwise_gateway.proxy.service.forward import Forwarded
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import transaction
from pathwise_shared.idempotency import (
    caller_scope,
    check_key,
    in_progress,
    request_fingerprint,
)
from pathwise_shared.ids import new_id
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE
from pathwise_shared.problems import Conflict, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = ["IdempotencyStore", "Reservation", "request_fingerprint"]


@dataclass(frozen=True)
class Reservation:
    """Our placeholder: every later write names its row id, so a forward that outlived its
    lease cannot overwrite the record a retry has taken over."""

    record_id: uuid.UUID
    principal: str
    key: str


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


# Answers that say "not now" or "not yours", rather than how the request turned out: recording
# them would bind the key to them (a 409 "import running" replayed for a day, or the service's
# 422 "this key is another request's" taking the key away from the request that owns it).
_NOT_RECORDED_STATUSES = frozenset({409, 429})
_NOT_RECORDED_TYPES = frozenset(
    {
        PROBLEM_TYPE_BASE + "idempotency-key-reused",
        PROBLEM_TYPE_BASE + "idempotency-key-in-progress",
    }
)


def _final(answer: Forwarded) -> bool:
    """Whether ``answer`` is the outcome of the request, to be recorded and replayed."""
    if answer.status >= 500 or answer.status in _NOT_RECORDED_STATUSES:
        return False
    if answer.status != 422:
        return True
    try:
        problem = json.loads(answer.body)
    except ValueError:
        return True
    return not (isinstance(problem, dict) and problem.get("type") in _NOT_RECORDED_TYPES)


class IdempotencyStore:
    def __init__(self, db: Database, ttl_hours: int = 24, lease_seconds: float = 10.0) -> None:
        self._db = db
        self._ttl = timedelta(hours=ttl_hours)
        self._lease = timedelta(seconds=lease_seconds)

    async def reserve(
        self, principal: Principal, key: str, *, method: str, path: str, fingerprint: str
    ) -> Reservation | Forwarded:
        """A reservation to forward under, or the stored answer to replay."""
        check_key(key)
        who = caller_scope(principal)[:300]
        for _ in range(3):
            now = utcnow()
            try:
                record_id = new_id()
                async with transaction(self._db) as conn:
                    await repo.claim(
                        conn,
                        {
                            "id": record_id,
                            "principal": who,
                            "key": key,
                            "method": method,
                            "path": path[:500],
                            "request_hash": fingerprint,
                            "created_at": now,
                            "expires_at": now + self._lease,
                        },
                    )
                return Reservation(record_id, who, key)
            except IntegrityError:
                pass
            async with transaction(self._db) as conn:
                row = await repo.find(conn, who, key)
                if row is None:
                    continue  # the holder released it between our insert and our read
                retention_over = row.created_at + self._ttl < now
                if retention_over or (row.status is not None and row.expires_at < now):
                    # Past retention: the key may be used again (the services still remember
                    # keys on what they created; see docs/api.md).
                    await repo.forget_expired(conn, row.id, now)
                    continue
                if row.request_hash != fingerprint:
                    raise UnprocessableContent(
                        "This Idempotency-Key was already used for a different request; "
                        "send a new key.",
                        slug="idempotency-key-reused",
                    )
                if row.status is not None:
                    return Forwarded(
                        int(row.status), dict(row.headers or {}), bytes(row.body or b"")
                    )
                if row.expires_at >= now:
                    raise in_progress(_seconds_until(row.expires_at, now))
                # The lease ran out without an answer: its gateway crashed (or its forward
                # outlived the upstream timeout). Take the record over and forward again.
                if await repo.take_over(conn, row.id, now, now + self._lease):
                    return Reservation(row.id, who, key)
            # Another retry took it over a moment ago: look again (it is in progress now).
        raise Conflict(
            "Could not reserve the Idempotency-Key; retry.",
            slug="idempotency-key-busy",
            headers={"Retry-After": "1"},
        )

    async def complete(self, reservation: Reservation, answer: Forwarded) -> None:
        async with transaction(self._db) as conn:
            if not _final(answer):
                await repo.forget(conn, reservation.record_id)
            else:
                await repo.store_response(
                    conn,
                    reservation.record_id,
                    answer.status,
                    answer.headers,
                    answer.body,
                    utcnow() + self._ttl,
                )

    async def release(self, reservation: Reservation) -> None:
        """The call failed before an answer: the key may be used again."""
        async with transaction(self._db) as conn:
            await repo.forget(conn, reservation.record_id)
