"""Sending one delivery: to an internal subscriber (its ``POST /internal/events``, with a system
internal token) or to a district's webhook endpoint (the thin body, signed, sent to the address
the SSRF guard checked), and one attempt's outcome (``Sender.attempt``); or several deliveries
to one internal subscriber in one request (``Sender.attempt_batch``, each with its own outcome).
The dispatcher decides what to send; ``recording`` writes what happened."""

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiohttp
import httpx
from sqlalchemy import Row

from pathwise_gateway.events.domain.attempts import (
    EXCERPT_BYTES,
    INTERNAL_BATCH_PATH,
    INTERNAL_PATH,
    AttemptResult,
    webhook_body,
)
from pathwise_gateway.events.domain.delivery import DeliveryTarget, RefusedTarget, WebhookGuard
from pathwise_gateway.events.domain.schedule import Verdict, classify, parse_retry_after
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.timeutil import utcnow

__all__ = ["Sender"]

# The dispatcher's logger: these lines were the dispatcher's before the split.
logger = logging.getLogger("pathwise.gateway.dispatcher")

# A subscriber that answered a batch with 404 or 405 (a release without the batch route, during
# a rolling upgrade) gets its deliveries one by one for this long before it is asked again.
SINGLES_SECONDS = 300.0


class Sender:
    def __init__(
        self,
        settings: EventHubSettings,
        webhooks: aiohttp.ClientSession,
        internal: Mapping[str, ServiceCaller],
        guard: WebhookGuard,
    ) -> None:
        self.settings = settings
        self.webhooks = webhooks
        self.internal = internal
        # The SSRF check and the signature: the webhooks feature's, handed in
        # (events/domain/delivery.py).
        self.guard = guard
        # Subscriber -> until when (monotonic) it is sent one delivery per request.
        self._singles_until: dict[str, float] = {}

    def _internal_call(self, row: Row[Any]) -> tuple[ServiceCaller, dict[str, str]]:
        caller = self.internal.get(row.subscriber)
        if caller is None:
            raise httpx.ConnectError(f"no internal subscriber named {row.subscriber!r}")
        principal = Principal(
            subject="system:event-hub", kind="system", district_id=row.district_id
        )
        return caller, caller.headers(principal)

    async def send_internal(self, row: Row[Any]) -> tuple[int, str | None, float | None]:
        caller, headers = self._internal_call(row)
        response = await caller.client.post(INTERNAL_PATH, json=row.envelope, headers=headers)
        return response.status_code, response.text[:EXCERPT_BYTES], None

    async def send_internal_batch(
        self, rows: Sequence[Row[Any]]
    ) -> tuple[int, str, dict[str, dict[str, Any]] | None]:
        """One request for deliveries of one subscriber and one district (the first row's): the
        status, an excerpt, and on a readable 200 each event's outcome by event id."""
        caller, headers = self._internal_call(rows[0])
        response = await caller.client.post(
            INTERNAL_BATCH_PATH, json={"events": [row.envelope for row in rows]}, headers=headers
        )
        outcomes: dict[str, dict[str, Any]] | None = None
        if response.status_code == 200:
            try:
                outcomes = {str(item["id"]): item for item in response.json()["results"]}
            except (ValueError, KeyError, TypeError):
                outcomes = None
        return response.status_code, response.text[:EXCERPT_BYTES], outcomes

    async def send_webhook(
        self, row: Row[Any], now: datetime, targets: dict[str, asyncio.Future[DeliveryTarget]]
    ) -> tuple[int, str | None, float | None]:
        pending = targets.get(row.url)
        if pending is None:
            pending = targets[row.url] = asyncio.ensure_future(
                self.guard.resolve(
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
        headers = self.guard.headers(str(row.event_id), int(now.timestamp()), body, secrets)
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

    async def attempt(
        self, row: Row[Any], targets: dict[str, asyncio.Future[DeliveryTarget]]
    ) -> AttemptResult:
        """One attempt at a delivery under one hard deadline; every failure is an outcome."""
        started = utcnow()
        base = _base(row, started)
        if row.endpoint_id is not None and not row.enabled:
            return AttemptResult(
                **{**base, "attempt_count": int(row.attempt_count)},
                verdict=Verdict.GONE,
                error="endpoint disabled",
                attempted=False,
                finished_at=started,
            )
        clock = time.perf_counter()
        try:
            # The whole attempt (the address check included) under one deadline, whatever the
            # HTTP client's own timeouts do with a receiver that trickles bytes.
            async with asyncio.timeout(self.settings.timeout_seconds):
                if row.endpoint_id is None:
                    response_status, excerpt, retry_after = await self.send_internal(row)
                else:
                    response_status, excerpt, retry_after = await self.send_webhook(
                        row, started, targets
                    )
        except RefusedTarget as exc:
            error, latency = f"refused: {exc}"[:300], 0
        except Exception as exc:
            error, latency = _failure(exc, row), _ms_since(clock)
        else:
            return AttemptResult(
                **base,
                verdict=classify(response_status),
                status_code=response_status,
                latency_ms=_ms_since(clock),
                excerpt=excerpt,
                retry_after=retry_after,
                finished_at=utcnow(),
            )
        return AttemptResult(
            **base, verdict=Verdict.RETRY, error=error, latency_ms=latency, finished_at=utcnow()
        )

    async def attempt_batch(self, rows: Sequence[Row[Any]]) -> list[AttemptResult]:
        """Deliveries to one internal subscriber, of one district, in one request under one
        deadline: each row's outcome is its own event's status in the answer, as if it had been
        sent alone, and a failure of the request is every row's. A subscriber without the batch
        route (404, 405) gets them one by one, and for a while after (``SINGLES_SECONDS``)."""
        subscriber = rows[0].subscriber
        if len(rows) == 1 or self._singles_until.get(subscriber, 0.0) > time.monotonic():
            return list(await asyncio.gather(*(self.attempt(row, {}) for row in rows)))
        started = utcnow()
        clock = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                status, excerpt, outcomes = await self.send_internal_batch(rows)
        except Exception as exc:
            error, latency = _failure(exc, rows[0]), _ms_since(clock)
            return [
                AttemptResult(
                    **_base(row, started),
                    verdict=Verdict.RETRY,
                    error=error,
                    latency_ms=latency,
                    finished_at=utcnow(),
                )
                for row in rows
            ]
        latency, finished = _ms_since(clock), utcnow()
        if status in (404, 405):
            self._singles_until[subscriber] = time.monotonic() + SINGLES_SECONDS
            return list(await asyncio.gather(*(self.attempt(row, {}) for row in rows)))
        results: list[AttemptResult] = []
        for row in rows:
            base = _base(row, started)
            if outcomes is None:  # the request's own answer is every row's
                results.append(
                    AttemptResult(
                        **base,
                        verdict=classify(status) if status != 200 else Verdict.RETRY,
                        status_code=status,
                        error=None if status != 200 else "unreadable batch answer",
                        latency_ms=latency,
                        excerpt=excerpt or None,
                        finished_at=finished,
                    )
                )
                continue
            outcome = outcomes.get(str(row.event_id))
            own_status = outcome.get("status") if isinstance(outcome, dict) else None
            # A receiver's bug (no outcome, or a status that is not a number) is this event's
            # retry, never an exception that would lose the whole batch's outcomes to the lease.
            if not isinstance(own_status, int) or isinstance(own_status, bool):
                results.append(
                    AttemptResult(
                        **base,
                        verdict=Verdict.RETRY,
                        error="the batch answer has no readable outcome for this event",
                        latency_ms=latency,
                        finished_at=finished,
                    )
                )
                continue
            results.append(
                AttemptResult(
                    **base,
                    verdict=classify(own_status),
                    status_code=own_status,
                    latency_ms=latency,
                    excerpt=json.dumps(outcome, separators=(",", ":"))[:EXCERPT_BYTES],
                    finished_at=finished,
                )
            )
        return results


def _base(row: Row[Any], started: datetime) -> dict[str, Any]:
    """What every outcome of one attempt at ``row`` records."""
    return {
        "delivery_id": row.id,
        "endpoint_id": row.endpoint_id,
        "attempt_count": int(row.attempt_count) + 1,
        "attempted_at": started,
        "failing_since": row.failing_since,
    }


def _failure(exc: Exception, row: Row[Any]) -> str:
    """The error recorded for an attempt that got no answer."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout"
    if isinstance(exc, httpx.HTTPError | aiohttp.ClientError):
        return f"{type(exc).__name__}: {exc}"[:300]
    # A bug must not kill the attempt silently: it is recorded and retried like a failure.
    logger.exception("delivery %s: unexpected error", row.id)
    return f"internal error: {type(exc).__name__}"[:300]


def _ms_since(clock: float) -> int:
    return int((time.perf_counter() - clock) * 1000)
