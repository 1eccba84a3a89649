"""The outbox relay: sends a service's unpublished outbox rows to the gateway's event ingest.

At least once, never for a change that did not happen:

- an event exists only if the transaction that made the change committed (the outbox row is part
  of it), so a rolled-back change has nothing to send;
- a row is marked published only after the gateway acknowledged it (202); a crash between the two
  resends it, and the gateway's ingest is idempotent on the event id;
- on failure the rows stay unpublished (``attempts`` and ``last_error`` record why) and the relay
  backs off exponentially, so it resumes by itself after a gateway outage or a restart.

Claiming differs by backend. On PostgreSQL a batch is claimed with ``SELECT … FOR UPDATE SKIP
LOCKED`` and the row locks are held while the batch is sent, so replicas of a service never send
the same rows at once. SQLite has one writer per database file, hence one relay per service: it
reads a batch, sends it, then marks it in a second short transaction (holding a write transaction
open across an HTTP call would block the service's own writes).

A batch the gateway refuses as invalid (a 4xx other than auth and rate limits) is split and sent one
event at a time, so one bad event cannot hold the others back; an event refused on its own is
marked published with ``last_error`` starting with ``rejected:`` and logged as an error.
"""

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Table, select, update

from pathwise_shared.calls import ServiceCaller, system_principal
from pathwise_shared.db.engine import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.http import create_http_client
from pathwise_shared.settings import ServiceSettings
from pathwise_shared.timeutil import utcnow
from pathwise_shared.waiting import wait_set

__all__ = [
    "INGEST_PATH",
    "HttpEventSender",
    "OutboxRelay",
    "RelayPassResult",
    "RelayRejectedError",
    "Sender",
    "start_app_relay",
    "stop_app_relay",
]

logger = logging.getLogger("pathwise.relay")

INGEST_PATH = "/internal/events"
_ERROR_LIMIT = 500
# Statuses that say "this request will never be accepted": anything else is retried.
_RETRYABLE_4XX = frozenset({401, 403, 404, 408, 409, 425, 429})

Sender = Callable[[Sequence[dict[str, Any]]], Awaitable[None]]


class RelayRejectedError(Exception):
    """The ingest refused the events as invalid; sending them again will not help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status


@dataclass
class RelayPassResult:
    published: int = 0
    rejected: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class HttpEventSender:
    """POSTs ``{"events": [...]}`` to the gateway's ingest as the system principal."""

    def __init__(self, caller: ServiceCaller, job: str) -> None:
        self._caller = caller
        self._principal = system_principal(job)

    async def __call__(self, envelopes: Sequence[dict[str, Any]]) -> None:
        response = await self._caller.client.post(
            INGEST_PATH,
            json={"events": list(envelopes)},
            headers=self._caller.headers(self._principal),
        )
        if 200 <= response.status_code < 300:
            return
        detail = response.text[:200]
        if 400 <= response.status_code < 500 and response.status_code not in _RETRYABLE_4XX:
            raise RelayRejectedError(response.status_code, detail)
        raise RuntimeError(f"gateway ingest answered {response.status_code}: {detail}")


# Empty passes at the brisk ``interval`` before the relay starts backing off.
_BRISK_PASSES = 10


class OutboxRelay:
    """Moves outbox rows to the gateway; ``run()`` until cancelled, or ``run_once()`` per batch."""

    def __init__(
        self,
        db: Database,
        table: Table,
        sender: Sender,
        *,
        batch_size: int = 200,
        interval: float = 0.1,
        max_backoff: float = 30.0,
        max_idle_interval: float = 1.0,
    ) -> None:
        self.db = db
        self.table = table
        self.sender = sender
        self.batch_size = batch_size
        self.interval = interval
        self.max_backoff = max_backoff
        self.max_idle_interval = max(interval, max_idle_interval)
        # Built once: the relay polls several times a second in every service.
        self._claims = {lock: self._claim_query(lock=lock) for lock in (False, True)}

    async def run_once(self) -> RelayPassResult:
        """Claim one batch, send it, record the outcome. A cancellation leaves the rows unsent."""
        if self.db.is_sqlite:
            return await self._pass_single_writer()
        return await self._pass_locked()

    def _idle_delay(self, idle_passes: int) -> float:
        """The pause after ``idle_passes`` empty passes in a row: ``interval`` for the first
        ten (a publish's commit is seen at once), then doubling up to ``max_idle_interval`` (an
        idle service stops polling ten times a second; rows written by another process of the
        service are still sent within ``max_idle_interval``)."""
        if idle_passes <= _BRISK_PASSES:
            return self.interval
        return min(self.max_idle_interval, self.interval * 2.0 ** (idle_passes - _BRISK_PASSES))

    async def _pause(self, delay: float) -> bool:
        """Sleep ``delay`` seconds or until a publish in this process; whether one woke us."""
        return await wait_set(self.db.outbox_written, delay)

    async def run(self) -> None:
        failures = 0
        idle_passes = 0
        while True:
            # Cleared before the pass: a publish from now on wakes the pause after it.
            self.db.outbox_written.clear()
            try:
                result = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database itself failed (restart, network): keep going after a pause.
                logger.exception("outbox relay pass failed")
                result = RelayPassResult(failed=1)
            if result.failed:
                failures += 1
                delay = min(self.max_backoff, self.interval * 2**failures)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                continue
            failures = 0
            if result.published + result.rejected >= self.batch_size:
                continue  # a full batch: more are waiting
            idle_passes = 0 if result.published + result.rejected else idle_passes + 1
            if await self._pause(self._idle_delay(idle_passes)):
                idle_passes = 0

    def _claim_query(self, *, lock: bool) -> Any:
        t = self.table
        query = (
            select(t.c.id, t.c.envelope)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(self.batch_size)
        )
        return query.with_for_update(skip_locked=True) if lock else query

    async def _pass_locked(self) -> RelayPassResult:
        async with unit_of_work(self.db) as session:
            rows = (await session.execute(self._claims[True])).all()
            if not rows:
                return RelayPassResult()
            outcome = await self._send([(r.id, r.envelope) for r in rows])
            await self._record(session, outcome)
            return outcome.result

    async def _pass_single_writer(self) -> RelayPassResult:
        # A short read transaction of its own: nothing is held while the batch is sent.
        async with unit_of_work(self.db) as session:
            rows = (await session.execute(self._claims[False])).all()
        if not rows:
            return RelayPassResult()
        outcome = await self._send([(r.id, r.envelope) for r in rows])
        async with unit_of_work(self.db) as session:
            await self._record(session, outcome)
        return outcome.result

    async def _send(self, rows: list[tuple[uuid.UUID, dict[str, Any]]]) -> "_Outcome":
        outcome = _Outcome()
        try:
            await self.sender([envelope for _, envelope in rows])
        except RelayRejectedError as exc:
            if len(rows) == 1:
                outcome.rejected[rows[0][0]] = f"rejected: {exc}"
                logger.error("the gateway rejected event %s: %s", rows[0][0], exc)
                return outcome
            # Find the bad one(s) without holding the good ones back.
            for row in rows:
                single = await self._send([row])
                outcome.merge(single)
                if single.failed:
                    break
            return outcome
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            outcome.failed = [row_id for row_id, _ in rows]
            outcome.error = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
            logger.warning("outbox relay could not send %d event(s): %s", len(rows), outcome.error)
            return outcome
        outcome.published = [row_id for row_id, _ in rows]
        return outcome

    async def _record(self, session: Any, outcome: "_Outcome") -> None:
        t = self.table
        now = utcnow()
        if outcome.published:
            await session.execute(
                update(t)
                .where(t.c.id.in_(outcome.published))
                .values(published_at=now, attempts=t.c.attempts + 1, last_error=None)
            )
        for row_id, error in outcome.rejected.items():
            await session.execute(
                update(t)
                .where(t.c.id == row_id)
                .values(published_at=now, attempts=t.c.attempts + 1, last_error=error)
            )
        if outcome.failed:
            await session.execute(
                update(t)
                .where(t.c.id.in_(outcome.failed))
                .values(attempts=t.c.attempts + 1, last_error=outcome.error)
            )


@dataclass
class _Outcome:
    published: list[uuid.UUID] = field(default_factory=list)
    rejected: dict[uuid.UUID, str] = field(default_factory=dict)
    failed: list[uuid.UUID] = field(default_factory=list)
    error: str | None = None

    def merge(self, other: "_Outcome") -> None:
        self.published.extend(other.published)
        self.rejected.update(other.rejected)
        self.failed.extend(other.failed)
        self.error = other.error or self.error

    @property
    def result(self) -> RelayPassResult:
        return RelayPassResult(
            published=len(self.published),
            rejected=len(self.rejected),
            failed=len(self.failed),
            errors=[self.error] if self.error else [],
        )


async def start_app_relay(app: FastAPI, settings: ServiceSettings, table: Table) -> None:
    """Start the relay of a service app as a background task (lifespan start-up)."""
    client = create_http_client(
        settings.gateway_url, timeout=settings.http_timeout_seconds, retries=0
    )
    caller = ServiceCaller(
        "gateway",
        client,
        settings.internal_token_secret.get_secret_value(),
        settings.internal_token_ttl_seconds,
    )
    relay = OutboxRelay(
        app.state.db,
        table,
        HttpEventSender(caller, f"outbox-relay:{settings.service_name}"),
        batch_size=settings.outbox_relay_batch_size,
        interval=settings.outbox_relay_interval_seconds,
    )
    app.state.outbox_relay = relay
    app.state.outbox_relay_client = client
    app.state.outbox_relay_task = asyncio.create_task(relay.run(), name="outbox-relay")


async def stop_app_relay(app: FastAPI) -> None:
    """Stop the relay (lifespan shutdown): the batch in flight is abandoned and resent later."""
    task: asyncio.Task[None] | None = getattr(app.state, "outbox_relay_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        app.state.outbox_relay_task = None
    client: httpx.AsyncClient | None = getattr(app.state, "outbox_relay_client", None)
    if client is not None:
        await client.aclose()
        app.state.outbox_relay_client = None
