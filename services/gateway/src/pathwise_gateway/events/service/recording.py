"""Recording attempts: each outcome, the delivery's next state (succeeded, failed, or pending
again per the retry schedule, timed from the attempt's end), and the endpoints to disable."""

import logging
import random
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pathwise_gateway.events import repository
from pathwise_gateway.events.domain.attempts import AttemptResult
from pathwise_gateway.events.domain.schedule import Verdict, next_delay, should_disable
from pathwise_gateway.events.service.intake import ingest_own_events
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.events import new_event
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = ["delivery_update", "record_outcomes"]

# The dispatcher's logger: these lines were the dispatcher's before the split.
logger = logging.getLogger("pathwise.gateway.dispatcher")


async def record_outcomes(
    db: Database,
    settings: EventHubSettings,
    rng: random.Random,
    results: Sequence[AttemptResult],
) -> bool:
    """Write the attempts and the deliveries' new state in one transaction, and disable the
    endpoints that are gone or failing too long; True when one was disabled (its
    ``webhook.endpoint_disabled`` event is then new work: the caller wakes the claimer)."""
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
        updates.append(delivery_update(result, settings, rng))
        if result.endpoint_id is None or not result.attempted:
            continue
        if result.verdict is Verdict.SUCCESS:
            succeeded_endpoints.add(result.endpoint_id)
        else:
            failed_endpoints.add(result.endpoint_id)
            if result.verdict is Verdict.GONE:
                to_disable[result.endpoint_id] = "gone"
            elif should_disable(result.failing_since, now, settings.disable_after_seconds):
                to_disable.setdefault(result.endpoint_id, "failing")
    async with unit_of_work(db) as session:
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
                    "failing_since": row.failing_since.isoformat() if row.failing_since else None,
                },
            )
            await ingest_own_events(session, [event])
    return disabled_any


def delivery_update(
    result: AttemptResult, settings: EventHubSettings, rng: random.Random
) -> dict[str, Any]:
    """The delivery's row after this attempt (bound parameters of the bulk update)."""
    update: dict[str, Any] = {
        "b_id": result.delivery_id,
        "b_attempt_count": result.attempt_count,
        "b_last_attempt_at": result.attempted_at if result.attempted else None,
        "b_last_status_code": result.status_code,
        "b_last_error": result.error,
        "b_delivered_at": None,
        "b_next_attempt_at": None,
    }
    finished = result.finished_at or utcnow()
    if result.verdict is Verdict.SUCCESS:
        update.update(b_status="succeeded", b_delivered_at=finished)
        return update
    delay = None
    if result.verdict is Verdict.RETRY:
        delay = next_delay(
            result.attempt_count,
            settings.retry_schedule,
            scale=settings.retry_scale,
            jitter=settings.jitter,
            retry_after=result.retry_after,
            max_retry_after=settings.max_retry_after_seconds,
            rng=rng,
        )
    if delay is None:
        update["b_status"] = "failed"
    else:
        # From the end of this attempt, per the schedule (not from when it is written).
        update.update(b_status="pending", b_next_attempt_at=finished + timedelta(seconds=delay))
    return update
