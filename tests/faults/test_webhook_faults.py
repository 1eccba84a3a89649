"""Webhook receivers that misbehave (issue 11, finding 3 and the delivery promises of
docs/events.md): a receiver failing 30 % of requests still gets every event, signed; an endpoint
that hangs does not delay a healthy endpoint's deliveries beyond a bound.

The ground truth is the services' outboxes (read from their databases), not the gateway's own
bookkeeping: an event the gateway never recorded would be missed by both otherwise.
"""

import statistics
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.faults.support import (
    Endpoint,
    Receiver,
    create_endpoint,
    demo_learner,
    emitted,
    fault_stack,
    take_check,
    wait_until,
)

pytestmark = pytest.mark.integration

SKILLS = ("3.OA.C.7", "3.OA.A.1", "3.NF.A.1", "3.NF.A.2")
DELIVERY_BOUND_SECONDS = 60.0


def _undelivered(
    stack_emitted: dict[str, dict[str, object]], receiver: Receiver, path: str
) -> set[str]:
    return set(stack_emitted) - set(receiver.acknowledged(path))


def _check_signed(endpoint: Endpoint, receiver: Receiver, path: str) -> None:
    for event_id, delivery in receiver.acknowledged(path).items():
        payload = endpoint.verify(delivery)  # raises on a bad signature
        assert payload["id"] == event_id == delivery.headers["webhook-id"]


def test_a_receiver_failing_30_percent_gets_every_event_signed(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as stack, Receiver() as receiver:
        url = receiver.route("/flaky", fail_ratio=0.3)
        with httpx.Client(base_url=stack.config.url("gateway"), timeout=20.0) as gw:
            endpoint = create_endpoint(gw, url, "fails 30 % of requests")
            since = endpoint.created_at
            for n, skill in enumerate(SKILLS, start=1):
                username, learner = demo_learner(n)
                take_check(gw, username, learner, skill)

        def all_delivered() -> bool:
            return not _undelivered(emitted(stack, since), receiver, "/flaky")

        delivered = wait_until(all_delivered, DELIVERY_BOUND_SECONDS, interval=1.0)
        events = emitted(stack, since)
        missing = _undelivered(events, receiver, "/flaky")
        requests = receiver.requests("/flaky")
        refused = [d for d in requests if d.status != 200]
        assert events, "the skill checks emitted nothing"
        assert delivered and not missing, (
            f"{len(missing)} of {len(events)} events never acknowledged: "
            f"{sorted(events[m]['type'] for m in missing)}\n" + stack.log_text("gateway")[-3000:]
        )
        # The receiver really did fail (so retries were exercised) ...
        assert refused, "the receiver never failed: the test proves nothing"
        # ... and each event acknowledged once after dedupe, signed, with what was emitted.
        _check_signed(endpoint, receiver, "/flaky")
        acknowledged = receiver.acknowledged("/flaky")
        for event_id, envelope in events.items():
            assert endpoint.verify(acknowledged[event_id])["type"] == envelope["type"]


HANG_SECONDS = 30.0  # well beyond the gateway's per-attempt timeout (10 s by default)
# A healthy endpoint's delivery normally lands well under a second after the event was
# committed (docs/benchmarks.md); the finding measured p50 9.4 s beside a hanging endpoint.
P95_BOUND_SECONDS = 2.0
MAX_BOUND_SECONDS = 5.0


def test_a_hanging_endpoint_does_not_delay_a_healthy_one(tmp_path: Path) -> None:
    with fault_stack(tmp_path) as stack, Receiver() as receiver:
        hanging_url = receiver.route("/hang", hang_seconds=HANG_SECONDS)
        healthy_url = receiver.route("/healthy")
        with httpx.Client(base_url=stack.config.url("gateway"), timeout=20.0) as gw:
            create_endpoint(gw, hanging_url, "hangs")
            endpoint = create_endpoint(gw, healthy_url, "healthy")
            since = endpoint.created_at
            # Spread over ~12 s, so new events keep coming while deliveries to /hang hang.
            for n, skill in enumerate(SKILLS * 2, start=1):
                username, learner = demo_learner(n)
                take_check(gw, username, learner, skill)
                time.sleep(1.0)

        def all_delivered() -> bool:
            return not _undelivered(emitted(stack, since), receiver, "/healthy")

        wait_until(all_delivered, DELIVERY_BOUND_SECONDS, interval=1.0)
        events = emitted(stack, since)
        acknowledged = receiver.acknowledged("/healthy")
        missing = set(events) - set(acknowledged)
        assert not missing, f"{len(missing)} of {len(events)} events never reached /healthy"
        assert receiver.arrived("/hang"), "nothing was sent to the hanging endpoint"
        _check_signed(endpoint, receiver, "/healthy")

        lags = sorted(
            acknowledged[event_id].received_at
            - datetime.fromisoformat(envelope["occurred_at"]).timestamp()
            for event_id, envelope in events.items()
        )
        p95 = lags[int(0.95 * (len(lags) - 1))]
        summary = (
            f"{len(lags)} deliveries to /healthy: p50 {statistics.median(lags):.2f}s, "
            f"p95 {p95:.2f}s, max {lags[-1]:.2f}s"
        )
        assert p95 < P95_BOUND_SECONDS and lags[-1] < MAX_BOUND_SECONDS, summary
