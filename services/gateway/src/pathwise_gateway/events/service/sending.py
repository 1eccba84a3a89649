"""Sending one delivery: to an internal subscriber (its ``POST /internal/events``, with a system
internal token) or to a district's webhook endpoint (the thin body, signed, sent to the address
the SSRF guard checked), and one attempt's outcome (``Sender.attempt``). The dispatcher decides
what to send; ``recording`` writes what happened."""

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
import httpx
from sqlalchemy import Row

from pathwise_gateway.events.domain.attempts import (
    EXCERPT_BYTES,
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

    async def send_internal(self, row: Row[Any]) -> tuple[int, str | None, float | None]:
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
        except (httpx.TimeoutException, TimeoutError):
            error, latency = "timeout", _ms_since(clock)
        except (httpx.HTTPError, aiohttp.ClientError) as exc:
            error, latency = f"{type(exc).__name__}: {exc}"[:300], _ms_since(clock)
        except Exception as exc:
            # A bug must not kill the attempt silently: it is recorded and retried like a failure.
            logger.exception("delivery %s: unexpected error", row.id)
            error, latency = f"internal error: {type(exc).__name__}"[:300], _ms_since(clock)
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


def _ms_since(clock: float) -> int:
    return int((time.perf_counter() - clock) * 1000)
