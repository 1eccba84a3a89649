"""The delivery dispatcher: claims due deliveries, sends them, records every attempt.

Internal subscribers get the envelope on their ``POST /internal/events`` with a system internal
token; webhook endpoints get the thin body signed per Standard Webhooks, sent to the address the
SSRF guard checked. Each claimed batch is sent concurrently and its outcome written in one
transaction; a dispatcher that dies mid-batch loses nothing: the claim is a lease on
``next_attempt_at``, so the deliveries come due again (at least once; receivers dedupe on
``webhook-id``, which is the event id on every retry).
"""

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import httpx
from sqlalchemy import Row

from pathwise_gateway.events import repository
from pathwise_gateway.events.catalog import thin_data
from pathwise_gateway.events.schedule import (
    Verdict,
    classify,
    next_delay,
    parse_retry_after,
    should_disable,
)
from pathwise_gateway.events.service import ingest_own_events
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_gateway.webhooks.signing import webhook_headers
from pathwise_gateway.webhooks.ssrf import Target, UnsafeUrlError, resolve_target
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.db import Database
from pathwise_shared.events import new_event
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = ["AttemptResult", "Dispatcher", "webhook_body"]

logger = logging.getLogger("pathwise.gateway.dispatcher")

EXCERPT_BYTES = 300
INTERNAL_PATH = "/internal/events"


def webhook_body(envelope: Mapping[str, Any]) -> bytes:
    """The JSON a district receives: the envelope with only the catalogued ``data`` fields."""
    body = {
        "id": envelope["id"],
        "type": envelope["type"],
        "occurred_at": envelope["occurred_at"],
        "district_id": envelope.get("district_id"),
        "subject": envelope.get("subject"),
        "data": thin_data(str(envelope["type"]), dict(envelope.get("data") or {})),
        "version": envelope.get("version", 1),
        # Order (docs/events.md): per subject; None only for events made before sequences.
        "sequence": envelope.get("sequence"),
        "previous_event_id": envelope.get("previous_event_id"),
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class AttemptResult:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID | None
    attempt_count: int
    attempted_at: datetime
    verdict: Verdict
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None
    attempted: bool = True  # False: nothing was sent (endpoint disabled meanwhile)
    failing_since: datetime | None = None


class Dispatcher:
    def __init__(
        self,
        db: Database,
        settings: EventHubSettings,
        webhooks: aiohttp.ClientSession,
        internal: Mapping[str, ServiceCaller],
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.webhooks = webhooks
        self.internal = internal
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: keep up to ``concurrency`` deliveries in flight."""
        try:
            while True:
                free = self.settings.concurrency - self._in_flight
                claimed = 0
                if free > 0:
                    try:
                        claimed = await self._claim_and_start(min(self.settings.batch_size, free))
                    except Exception:
                        logger.exception("claiming deliveries failed")
                        await asyncio.sleep(self.settings.poll_seconds * 20)
                if not claimed or free <= 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)
                    self._wake.clear()
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim one batch and finish it (tests, benchmarks): the number of deliveries handled."""
        rows = await self._claim(self.settings.batch_size)
        if rows:
            self._in_flight += len(rows)
            await self._process(rows)
        return len(rows)

    async def _claim_and_start(self, limit: int) -> int:
        rows = await self._claim(limit)
        if rows:
            self._in_flight += len(rows)
            task = asyncio.create_task(self._process(rows))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(rows)

    async def _claim(self, limit: int) -> Sequence[Row[Any]]:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        async with self.db.session() as session, session.begin():
            return await repository.claim_work(session, now, lease, limit)

    async def _process(self, rows: Sequence[Row[Any]]) -> None:
        try:
            # One SSRF check per URL and batch: deliveries to the same endpoint share the
            # resolved, checked address (and still connect to exactly that address).
            targets: dict[str, asyncio.Future[Target]] = {}
            results = await asyncio.gather(*(self._attempt(row, targets) for row in rows))
            await self._record(results)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The leases run out and the deliveries are retried: nothing is lost.
            logger.exception("recording %d delivery outcome(s) failed", len(rows))
        finally:
            self._in_flight -= len(rows)
            self._wake.set()

    async def _attempt(
        self, row: Row[Any], targets: dict[str, asyncio.Future[Target]]
    ) -> AttemptResult:
        started = utcnow()
        attempt_count = int(row.attempt_count) + 1
        base = {
            "delivery_id": row.id,
            "endpoint_id": row.endpoint_id,
            "attempt_count": attempt_count,
            "attempted_at": started,
            "failing_since": row.failing_since,
        }
        if row.endpoint_id is not None and not row.enabled:
            return AttemptResult(
                **{**base, "attempt_count": int(row.attempt_count)},
                verdict=Verdict.GONE,
                error="endpoint disabled",
                attempted=False,
            )
        clock = time.perf_counter()
        try:
            if row.endpoint_id is None:
                response_status, excerpt, retry_after = await self._send_internal(row)
            else:
                response_status, excerpt, retry_after = await self._send_webhook(
                    row, started, targets
                )
        except UnsafeUrlError as exc:
            return AttemptResult(**base, verdict=Verdict.RETRY, error=f"refused: {exc}"[:300])
        except (httpx.TimeoutException, TimeoutError):
            return AttemptResult(
                **base, verdict=Verdict.RETRY, error="timeout", latency_ms=_ms_since(clock)
            )
        except (httpx.HTTPError, aiohttp.ClientError) as exc:
            return AttemptResult(
                **base,
                verdict=Verdict.RETRY,
                error=f"{type(exc).__name__}: {exc}"[:300],
                latency_ms=_ms_since(clock),
            )
        return AttemptResult(
            **base,
            verdict=classify(response_status),
            status_code=response_status,
            latency_ms=_ms_since(clock),
            excerpt=excerpt,
            retry_after=retry_after,
        )

    async def _send_internal(self, row: Row[Any]) -> tuple[int, str | None, float | None]:
        caller = self.internal.get(row.subscriber)
        if caller is None:
            raise httpx.ConnectError(f"no internal subscriber named {row.subscriber!r}")
        principal = Principal(
            subject="system:event-hub", kind="system", district_id=row.district_id
        )
        response = await caller.client.post(
            INTERNAL_PATH, json=row.envelope, headers=caller.headers(principal)
        )
        return response.status_code, response.text[:EXCERPT_BYTES], None

    async def _send_webhook(
        self, row: Row[Any], now: datetime, targets: dict[str, asyncio.Future[Target]]
    ) -> tuple[int, str | None, float | None]:
        pending = targets.get(row.url)
        if pending is None:
            pending = targets[row.url] = asyncio.ensure_future(
                resolve_target(
                    row.url,
                    allow_http=self.settings.allow_http,
                    allow_loopback=self.settings.allow_loopback,
                )
            )
        target = await pending
        body = webhook_body(row.envelope)
        secrets = [row.secret]
        expires = row.previous_secret_expires_at
        if row.previous_secret and expires is not None and expires > now:
            secrets.append(row.previous_secret)
        headers = webhook_headers(str(row.event_id), int(now.timestamp()), body, secrets)
        headers["host"] = target.host
        headers["user-agent"] = "Pathwise-Webhooks/1"
        async with self.webhooks.post(
            target.url,
            data=body,
            headers=headers,
            allow_redirects=False,
            # The connection goes to the checked address; TLS still verifies the URL's host.
            server_hostname=target.server_name,
        ) as response:
            # Only an excerpt: leaving the block unread closes the connection, so a receiver
            # answering with an endless body costs us nothing.
            excerpt = await response.content.read(EXCERPT_BYTES)
            status = response.status
            retry_after_header = response.headers.get("retry-after")
        retry_after = parse_retry_after(retry_after_header, now)
        text = excerpt.decode("utf-8", errors="replace")
        return status, text or None, retry_after

    async def _record(self, results: Sequence[AttemptResult]) -> None:
        now = utcnow()
        attempts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        succeeded_endpoints: set[uuid.UUID] = set()
        failed_endpoints: set[uuid.UUID] = set()
        to_disable: dict[uuid.UUID, str] = {}
        for result in results:
            if result.attempted:
                attempts.append(
                    {
                        "id": new_id(),
                        "delivery_id": result.delivery_id,
                        "attempted_at": result.attempted_at,
                        "succeeded": result.verdict is Verdict.SUCCESS,
                        "status_code": result.status_code,
                        "latency_ms": result.latency_ms,
                        "error": result.error,
                        "response_excerpt": result.excerpt,
                    }
                )
            updates.append(self._delivery_update(result))
            if result.endpoint_id is None or not result.attempted:
                continue
            if result.verdict is Verdict.SUCCESS:
                succeeded_endpoints.add(result.endpoint_id)
            else:
                failed_endpoints.add(result.endpoint_id)
                if result.verdict is Verdict.GONE:
                    to_disable[result.endpoint_id] = "gone"
                elif should_disable(result.failing_since, now, self.settings.disable_after_seconds):
                    to_disable.setdefault(result.endpoint_id, "failing")
        async with self.db.session() as session, session.begin():
            await repository.insert_attempts(session, attempts)
            await repository.update_deliveries(session, updates)
            await repository.clear_failing(session, succeeded_endpoints - failed_endpoints)
            await repository.mark_failing(session, failed_endpoints, now)
            disabled_any = False
            for endpoint_id, reason in to_disable.items():
                row = await repository.disable_endpoint(session, endpoint_id, reason, now)
                if row is None:
                    continue
                disabled_any = True
                logger.warning("webhook endpoint %s disabled (%s)", endpoint_id, reason)
                event = new_event(
                    "webhook.endpoint_disabled",
                    district_id=row.district_id,
                    subject=f"webhook_endpoint/{row.id}",
                    data={
                        "endpoint_id": str(row.id),
                        "url": row.url,
                        "reason": reason,
                        "failing_since": row.failing_since.isoformat()
                        if row.failing_since
                        else None,
                    },
                )
                await ingest_own_events(session, [event])
        if disabled_any:
            self.wake()

    def _delivery_update(self, result: AttemptResult) -> dict[str, Any]:
        update: dict[str, Any] = {
            "b_id": result.delivery_id,
            "b_attempt_count": result.attempt_count,
            "b_last_attempt_at": result.attempted_at if result.attempted else None,
            "b_last_status_code": result.status_code,
            "b_last_error": result.error,
            "b_delivered_at": None,
            "b_next_attempt_at": None,
        }
        if result.verdict is Verdict.SUCCESS:
            update.update(b_status="succeeded", b_delivered_at=utcnow())
            return update
        delay = None
        if result.verdict is Verdict.RETRY:
            delay = next_delay(
                result.attempt_count,
                self.settings.retry_schedule,
                scale=self.settings.retry_scale,
                jitter=self.settings.jitter,
                retry_after=result.retry_after,
                max_retry_after=self.settings.max_retry_after_seconds,
                rng=self.rng,
            )
        if delay is None:
            update["b_status"] = "failed"
        else:
            update.update(b_status="pending", b_next_attempt_at=utcnow() + timedelta(seconds=delay))
        return update


def _ms_since(clock: float) -> int:
    return int((time.perf_counter() - clock) * 1000)
