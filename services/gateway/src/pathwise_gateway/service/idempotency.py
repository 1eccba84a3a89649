"""``Idempotency-Key`` on creating POSTs: the first answer is stored (key + principal + a hash
of the request) and replayed on retries; the same key with a different request is refused.

Each step is its own short transaction on purpose: the placeholder must be committed before the
call is forwarded, so a concurrent retry sees it (409) instead of creating a second record.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from pathwise_gateway.repository import idempotency as repo
from pathwise_gateway.routing.forward import Forwarded
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.ids import new_id
from pathwise_shared.problems import BadRequest, Conflict, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = ["IdempotencyStore", "Reservation", "request_fingerprint"]

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


def principal_key(principal: Principal) -> str:
    return f"{principal.kind}:{principal.district_id}:{principal.subject}"[:300]


@dataclass(frozen=True)
class Reservation:
    principal: str
    key: str


class IdempotencyStore:
    def __init__(self, db: Database, ttl_hours: int = 24) -> None:
        self._db = db
        self._ttl = timedelta(hours=ttl_hours)

    async def reserve(
        self, principal: Principal, key: str, *, method: str, path: str, fingerprint: str
    ) -> Reservation | Forwarded:
        """A reservation to forward under, or the stored answer to replay."""
        if not 1 <= len(key) <= 200 or not set(key) <= _KEY_CHARS:
            raise BadRequest(
                "Idempotency-Key must be 1-200 characters of letters, digits and -_.:",
                slug="invalid-idempotency-key",
            )
        who = principal_key(principal)
        now = utcnow()
        for _ in range(2):
            try:
                async with self._db.engine.begin() as conn:
                    await repo.claim(conn, {
                        "id": new_id(), "principal": who, "key": key, "method": method,
                        "path": path[:500], "request_hash": fingerprint, "created_at": now,
                        "expires_at": now + self._ttl,
                    })  # fmt: skip
                return Reservation(who, key)
            except IntegrityError:
                async with self._db.engine.begin() as conn:
                    row = await repo.find(conn, who, key)
                    if row is not None and row.expires_at < now:
                        await repo.forget(conn, who, key)
                        continue
            if row is None:
                continue
            if row.request_hash != fingerprint:
                raise UnprocessableContent(
                    "This Idempotency-Key was already used for a different request.",
                    slug="idempotency-key-reused",
                )
            if row.status is None:
                raise Conflict(
                    "A request with this Idempotency-Key is still in progress.",
                    slug="idempotency-key-in-progress",
                    headers={"Retry-After": "1"},
                )
            return Forwarded(int(row.status), dict(row.headers or {}), bytes(row.body or b""))
        raise Conflict("Could not reserve the Idempotency-Key; retry.", slug="idempotency-key-busy")

    async def complete(self, reservation: Reservation, answer: Forwarded) -> None:
        async with self._db.engine.begin() as conn:
            if answer.status >= 500:
                await repo.forget(conn, reservation.principal, reservation.key)
            else:
                await repo.store_response(
                    conn, reservation.principal, reservation.key, answer.status,
                    answer.headers, answer.body,
                )  # fmt: skip

    async def release(self, reservation: Reservation) -> None:
        """The call failed before an answer: the key may be used again."""
        async with self._db.engine.begin() as conn:
            await repo.forget(conn, reservation.principal, reservation.key)
