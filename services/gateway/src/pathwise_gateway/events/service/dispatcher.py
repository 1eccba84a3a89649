"""The delivery dispatcher: claims due deliveries, sends them, records every attempt.

Internal subscribers get the envelopes on their ``POST /internal/events/batch``, those of one
district together, with a system internal token (each event keeps its own outcome); webhook
endpoints get the thin body signed per Standard Webhooks, sent to the address the
SSRF guard checked.

Isolation: every endpoint, and every internal subscriber, is a *lane* with its own in-flight
budget (``endpoint_concurrency``, ``internal_concurrency``); district endpoints together share
``concurrency``, internal subscribers are outside it. A claim takes at most a lane's budget from
one lane and skips the lanes already full, so a hanging endpoint holds its own budget and nothing
else: claiming goes on while its attempts wait for their timeout. Each attempt has a hard timeout.

Durability: an attempt's outcome is recorded as soon as it finishes (a recorder task writes
whatever has finished since its last write, in one transaction: group commit), never at the end
of a batch, so an acknowledged delivery is stored as succeeded within one write of its answer,
and the next attempt of a failed one is timed from that attempt's end. The claim is a lease on
``next_attempt_at``: a dispatcher that dies loses nothing (the deliveries it held come due again
when the lease ends, at least once; receivers dedupe on ``webhook-id``, the event id on every
retry), and one that is stopped records what finished and gives back what it never started.

This module runs the loop and holds the state; the lanes and the claim's limits are ``lanes``',
one attempt is ``sending``'s (``Sender.attempt``), writing outcomes is ``recording``'s.
"""

import asyncio
import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import aiohttp

from pathwise_gateway.events import repository
from pathwise_gateway.events.domain.attempts import AttemptResult, webhook_body
from pathwise_gateway.events.domain.delivery import DeliveryTarget, WebhookGuard
from pathwise_gateway.events.service.lanes import Claimed, Lane, LaneKey, lane_limits, lane_of
from pathwise_gateway.events.service.recording import record_outcomes
from pathwise_gateway.events.service.sending import Sender
from pathwise_gateway.events.settings import EventHubSettings
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.subscriber import BATCH_MAX_EVENTS
from pathwise_shared.timeutil import utcnow
from pathwise_shared.waiting import wait_set

# AttemptResult and webhook_body are re-exported: they were imported from here.
__all__ = ["AttemptResult", "Dispatcher", "webhook_body"]

logger = logging.getLogger("pathwise.gateway.dispatcher")


class Dispatcher:
    def __init__(
        self,
        db: Database,
        settings: EventHubSettings,
        webhooks: aiohttp.ClientSession,
        internal: Mapping[str, ServiceCaller],
        rng: random.Random | None = None,
        *,
        guard: WebhookGuard,
    ) -> None:
        self.db = db
        self.settings = settings
        self.sender = Sender(settings, webhooks, internal, guard)
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._lanes: dict[LaneKey, Lane] = {}
        # Deliveries to district endpoints claimed and not yet finished (the global cap).
        self._webhooks_held = 0
        self._attempts: set[asyncio.Task[None]] = set()
        self._finished: list[AttemptResult] = []
        self._finished_ready = asyncio.Event()
        self._stopping = False
        self._claimed_last = 0  # rows the last claim took (0: the idle back-off may grow)

    def wake(self) -> None:
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return sum(lane.in_flight for lane in self._lanes.values())

    async def run(self) -> None:
        """Until cancelled: claim what the lanes have room for; record outcomes as they come."""
        self._stopping = False  # a stopped dispatcher can be run again (tests do)
        recorder = asyncio.create_task(self._record_loop(), name="webhook-recorder")
        poll = self.settings.poll_seconds
        wait = poll
        try:
            while True:
                more = False
                try:
                    more = await self._claim_and_start()
                except Exception:
                    logger.exception("claiming deliveries failed")
                    await asyncio.sleep(self.settings.poll_seconds * 20)
                if not more:
                    if self._claimed_last or self.in_flight:
                        wait = poll
                    woken = await wait_set(self._wake, wait)
                    self._wake.clear()
                    # Idle (nothing found, nothing sent, no wake-up): poll less often.
                    idle = not (woken or self._claimed_last or self.in_flight)
                    wait = (
                        min(wait * 2, max(poll, self.settings.idle_poll_seconds)) if idle else poll
                    )
        finally:
            await self._stop(recorder)

    async def run_once(self) -> int:
        """Claim one batch, send it and record it (tests, benchmarks): the number handled."""
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        async with unit_of_work(self.db) as session:
            rows = await repository.claim_work(session, now, lease, self.settings.batch_size)
        targets: dict[str, asyncio.Future[DeliveryTarget]] = {}
        results = await asyncio.gather(*(self.sender.attempt(row, targets) for row in rows))
        if results:
            await self._record(results)
        return len(rows)

    # --- claiming ---------------------------------------------------------------------------

    def _limits(self) -> tuple[int, repository.LaneLimits] | None:
        """How many to claim and from which lanes; None: every lane is full."""
        return lane_limits(self.settings, self._lanes, self._webhooks_held, self.sender.internal)

    async def _claim_and_start(self) -> bool:
        """Claim and start what the lanes have room for; True: a full claim, claim again now."""
        limits = self._limits()
        if limits is None:
            return False
        limit, lanes = limits
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        async with unit_of_work(self.db) as session:
            rows = await repository.claim_work(session, now, lease, limit, lanes)
        self._claimed_last = len(rows)
        targets: dict[str, asyncio.Future[DeliveryTarget]] = {}
        touched: dict[LaneKey, Lane] = {}
        for row in rows:
            key = lane_of(row)
            lane = self._lanes.get(key)
            if lane is None:
                budget = lanes.per_endpoint if row.endpoint_id is not None else lanes.per_subscriber
                lane = self._lanes[key] = Lane(budget)
            lane.waiting.append(Claimed(row, lease, targets))
            if row.endpoint_id is not None:
                self._webhooks_held += 1
            touched[key] = lane
        # Started once the whole claim is in its lanes: an internal subscriber's deliveries then
        # go together rather than the first alone.
        for key, lane in touched.items():
            self._start(key, lane)
        # A short claim took everything due that had room: wait for a wake-up or the next poll
        # rather than run a claim that finds nothing.
        return len(rows) >= limit

    def _start(self, key: LaneKey, lane: Lane) -> None:
        """Start waiting deliveries while the lane has room: one attempt each to an endpoint; to
        an internal subscriber, those of one district together in one request (``_batch``)."""
        while lane.waiting and lane.in_flight < lane.budget and not self._stopping:
            if key[0] is None:
                items = self._batch(key, lane)
                if not items:
                    continue
                lane.in_flight += len(items)
                task = asyncio.create_task(self._run_batch(key, lane, items))
            else:
                item = lane.waiting.popleft()
                if not self._sendable(key, lane, item):
                    continue
                lane.in_flight += 1
                task = asyncio.create_task(self._run_attempt(key, lane, item))
            self._attempts.add(task)
            task.add_done_callback(self._attempts.discard)
        if not lane.load and self._lanes.get(key) is lane:
            del self._lanes[key]

    def _sendable(self, key: LaneKey, lane: Lane, item: Claimed) -> bool:
        """A delivery is sent only while its lease outlasts the attempt (or half the lease, when
        tests set a lease shorter than the timeout): otherwise another dispatcher could take it
        while we are still sending. One skipped is let go here and comes due again when its
        lease ends."""
        margin = timedelta(
            seconds=min(self.settings.timeout_seconds, self.settings.lease_seconds / 2)
        )
        if item.lease_until - utcnow() >= margin:
            return True
        logger.warning("delivery %s not sent: its claim is about to lapse", item.row.id)
        self._done(key, lane, item, started=False)
        return False

    def _batch(self, key: LaneKey, lane: Lane) -> list[Claimed]:
        """The next waiting deliveries of an internal subscriber's lane that go in one request:
        the first one's district (the request speaks for one district), in their order, as many
        as the lane has room for and a batch may hold; the others keep their places."""
        room = min(lane.budget - lane.in_flight, BATCH_MAX_EVENTS)
        batch: list[Claimed] = []
        others: list[Claimed] = []
        while lane.waiting and len(batch) < room:
            item = lane.waiting.popleft()
            if batch and item.row.district_id != batch[0].row.district_id:
                others.append(item)
            elif self._sendable(key, lane, item):
                batch.append(item)
        lane.waiting.extendleft(reversed(others))
        return batch

    def _done(self, key: LaneKey, lane: Lane, item: Claimed, *, started: bool) -> None:
        if started:
            lane.in_flight -= 1
        if item.row.endpoint_id is not None:
            self._webhooks_held -= 1
        # Wake the claimer once a lane has drained to half its budget, not at every finished
        # attempt: one claim then fills many slots (a claim per delivery halved the throughput).
        # Other lanes' work is found by the next poll anyway.
        if lane.load <= lane.budget // 2:
            self._wake.set()

    async def _run_batch(self, key: LaneKey, lane: Lane, items: list[Claimed]) -> None:
        try:
            results = await self.sender.attempt_batch([item.row for item in items])
            self._finished.extend(results)
            self._finished_ready.set()
        finally:
            for item in items:
                self._done(key, lane, item, started=True)
            self._start(key, lane)

    async def _run_attempt(self, key: LaneKey, lane: Lane, item: Claimed) -> None:
        try:
            result = await self.sender.attempt(item.row, item.targets)
            # Queued for the recorder before the slot is given back: nothing that finished is
            # ever waiting on another endpoint's attempt.
            self._finished.append(result)
            self._finished_ready.set()
        finally:
            self._done(key, lane, item, started=True)
            self._start(key, lane)

    # --- recording --------------------------------------------------------------------------

    async def _record_loop(self) -> None:
        """Until told to stop (never cancelled: a write cancelled halfway can leave SQLite's
        write lock held by a connection nobody uses any more)."""
        while True:
            await self._finished_ready.wait()
            self._finished_ready.clear()
            await self._flush()
            if self._stopping:
                return

    async def _flush(self) -> None:
        """Write every finished outcome; a failed write is tried again twice, then left to the
        leases (those deliveries come due again: at least once)."""
        failures = 0
        while self._finished:
            results, self._finished = self._finished, []
            try:
                await self._record(results)
                failures = 0
            except asyncio.CancelledError:
                self._finished[:0] = results
                raise
            except Exception:
                failures += 1
                logger.exception("recording %d delivery outcome(s) failed", len(results))
                if failures >= 3:
                    failures = 0
                    continue
                self._finished[:0] = results
                await asyncio.sleep(self.settings.poll_seconds * 20 * failures)

    async def _stop(self, recorder: "asyncio.Task[None]") -> None:
        """Stopping (shutdown, or a test): attempts in flight are abandoned to their leases (a
        receiver may have them: at least once); what finished is recorded; what was claimed and
        never started is given back, due now."""
        self._stopping = True
        for task in list(self._attempts):
            task.cancel()
        if self._attempts:
            # Bounded: an attempt that does not end when cancelled (a transport stuck in its own
            # cleanup) must not hold up shutdown; its lease brings the delivery back.
            await asyncio.wait(set(self._attempts), timeout=5)
        # The recorder writes what finished and returns; cancelled only if it cannot.
        self._finished_ready.set()
        await asyncio.wait({recorder}, timeout=5)
        if not recorder.done():
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)
        unsent: dict[datetime, list[uuid.UUID]] = {}
        for lane in self._lanes.values():
            for item in lane.waiting:
                unsent.setdefault(item.lease_until, []).append(item.row.id)
        self._lanes.clear()
        self._webhooks_held = 0
        try:
            async with asyncio.timeout(5):
                await self._flush()
                if unsent:
                    now = utcnow()
                    async with unit_of_work(self.db) as session:
                        for lease_until, ids in unsent.items():
                            await repository.release_claims(session, lease_until, ids, now)
        except Exception:
            logger.exception("recording outcomes at stop failed; the leases bring them back")

    async def _record(self, results: Sequence[AttemptResult]) -> None:
        # An endpoint was disabled: its webhook.endpoint_disabled event has deliveries to claim.
        if await record_outcomes(self.db, self.settings, self.rng, results):
            self.wake()
