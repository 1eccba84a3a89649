"""In-process caches of what every answer and every ``/next`` reads but that rarely changes: a
skill's BKT parameters, the median difficulty of its items, and a skill set's item bank.

Before these, each answer read the skill's parameters and every difficulty of the skill, and each
``/next`` read the whole bank (10k rows), per call. Now a call reads them once per change.

Invalidation. Each cache keeps a generation per district. A write that changes what a cache holds
calls ``invalidate_on_commit`` in its transaction: the generation moves at once (so the writing
transaction itself reads the new state) and again after the commit (so a reader that loaded the
old state while the write was in flight cannot store it under the current generation). A loader
takes the generation *before* its read and stores only if it is still current.

Several processes. Invalidation reaches only this process. Entries also expire after
``TTL_SECONDS``, so a change made by another process (another replica, a script writing straight
into the database) is seen within that time. Within one process (the deployment the service
documents) changes are seen at once. A deployment with replicas that needs item edits seen at
once everywhere would add a per-district version row, bumped by item writes and read in the
attempt-lock statement every answer already makes, instead of the TTL.
"""

import time
import uuid
from collections.abc import Hashable
from typing import Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

__all__ = ["MAX_ENTRIES", "TTL_SECONDS", "DistrictCache"]

TTL_SECONDS = 30.0
# Bounded memory: a full cache is emptied (simple, and a refill costs one read per key).
MAX_ENTRIES = 20_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class DistrictCache(Generic[K, V]):
    """Values per (district, key), dropped when the district's generation moves or they age."""

    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[uuid.UUID, K], tuple[int, float, V]] = {}
        self._generations: dict[uuid.UUID, int] = {}

    def generation(self, district_id: uuid.UUID) -> int:
        return self._generations.get(district_id, 0)

    def get(self, district_id: uuid.UUID, key: K) -> V | None:
        entry = self._entries.get((district_id, key))
        if entry is None:
            return None
        generation, stored_at, value = entry
        if generation != self.generation(district_id) or time.monotonic() - stored_at > self.ttl:
            return None
        return value

    def put(self, district_id: uuid.UUID, key: K, value: V, generation: int) -> None:
        """Store ``value`` read under ``generation`` (from :meth:`generation` before the read);
        a value read before an invalidation is not stored."""
        if generation != self.generation(district_id):
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[(district_id, key)] = (generation, time.monotonic(), value)

    def invalidate(self, district_id: uuid.UUID) -> None:
        self._generations[district_id] = self.generation(district_id) + 1

    def invalidate_on_commit(self, session: AsyncSession, district_id: uuid.UUID) -> None:
        self.invalidate(district_id)

        def committed(_session: Session) -> None:
            self.invalidate(district_id)

        event.listen(session.sync_session, "after_commit", committed, once=True)

    def clear(self) -> None:
        self._entries.clear()
