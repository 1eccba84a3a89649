"""The gateway's idempotency records against a real database: a placeholder is a lease (a retry
takes it over once the lease has run out), exactly one of racing retries takes it over, and a
forward that outlived its lease cannot overwrite the answer recorded since.

Time passes on a ``ManualClock`` (``pathwise_shared.timeutil``), not in sleeps: the store reads
``utcnow()``, so moving the clock past the lease is exact and costs nothing.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from pathwise_devstack.testing import ServiceClient
from pathwise_gateway.proxy.service.forward import Forwarded
from pathwise_gateway.proxy.service.idempotency import IdempotencyStore, Reservation
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.problems import BadRequest, Conflict, UnprocessableContent
from pathwise_shared.timeutil import ManualClock, use_clock

LEASE = 10.0
PAST_LEASE = LEASE + 1
CREATED = Forwarded(201, {"content-type": "application/json"}, b'{"id": "one"}')


@pytest.fixture
async def db(gateway: ServiceClient, settings: GatewaySettings) -> AsyncIterator[Database]:
    # ``gateway`` has migrated the database.
    database = Database(settings.database_url)
    yield database
    await database.dispose()


def teacher() -> Principal:
    return Principal(subject=str(uuid.uuid4()), kind="user", district_id=uuid.uuid4())


async def reserve(
    store: IdempotencyStore, who: Principal, key: str, fingerprint: str = "f1"
) -> Reservation | Forwarded:
    return await store.reserve(who, key, method="POST", path="/v1/items", fingerprint=fingerprint)


async def test_a_placeholder_holds_its_key_only_for_the_lease(db: Database) -> None:
    store = IdempotencyStore(db, ttl_hours=1, lease_seconds=LEASE)
    who = teacher()
    with use_clock(ManualClock()) as clock:
        first = await reserve(store, who, "k")
        assert isinstance(first, Reservation)
        # ... and then its gateway dies: nothing completes or releases the reservation.
        with pytest.raises(Conflict) as busy:
            await reserve(store, who, "k")
        assert busy.value.type == "https://pathwise.dev/problems/idempotency-key-in-progress"
        assert busy.value.headers == {"Retry-After": str(int(LEASE))}
        with pytest.raises(UnprocessableContent) as other:
            await reserve(store, who, "k", fingerprint="f2")
        assert other.value.type == "https://pathwise.dev/problems/idempotency-key-reused"

        clock.advance(LEASE - 1)
        with pytest.raises(Conflict) as still:  # one second left: still the first request's
            await reserve(store, who, "k")
        assert still.value.headers == {"Retry-After": "1"}
        clock.advance(2)
        taken = await reserve(store, who, "k")
        assert isinstance(taken, Reservation) and taken.record_id == first.record_id
        # A different request may not take the key over: it is still the first request's.
        clock.advance(PAST_LEASE)
        with pytest.raises(UnprocessableContent):
            await reserve(store, who, "k", fingerprint="f2")

        await store.complete(taken, CREATED)
        replay = await reserve(store, who, "k")
        assert replay == CREATED


async def test_exactly_one_racing_retry_takes_an_expired_lease_over(db: Database) -> None:
    store = IdempotencyStore(db, ttl_hours=1, lease_seconds=LEASE)
    who = teacher()
    with use_clock(ManualClock()) as clock:
        assert isinstance(await reserve(store, who, "race"), Reservation)
        clock.advance(PAST_LEASE)
        # gather copies the context: every racer reads the same advanced clock.
        outcomes = await asyncio.gather(
            *(reserve(store, who, "race") for _ in range(5)), return_exceptions=True
        )
    taken = [o for o in outcomes if isinstance(o, Reservation)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(taken) == 1 and len(refused) == 4, outcomes


async def test_a_forward_that_outlived_its_lease_cannot_overwrite(db: Database) -> None:
    store = IdempotencyStore(db, ttl_hours=1, lease_seconds=LEASE)
    who = teacher()
    with use_clock(ManualClock()) as clock:
        slow = await reserve(store, who, "slow")
        assert isinstance(slow, Reservation)
        clock.advance(PAST_LEASE)
        retry = await reserve(store, who, "slow")
    assert isinstance(retry, Reservation)
    await store.complete(retry, CREATED)
    # The slow forward finally fails (or answers): the recorded answer stays.
    await store.release(slow)
    await store.complete(slow, Forwarded(200, {}, b'{"id": "late"}'))
    assert await reserve(store, who, "slow") == CREATED


async def test_not_now_answers_are_not_recorded(db: Database) -> None:
    """A 409 or the service's "this key is another request's" 422 is not the outcome of the
    request: the key stays free for the request it belongs to."""
    store = IdempotencyStore(db, ttl_hours=1, lease_seconds=LEASE)
    who = teacher()
    reused = Forwarded(
        422,
        {"content-type": "application/problem+json"},
        b'{"type": "https://pathwise.dev/problems/idempotency-key-reused", "status": 422}',
    )
    for answer in (Forwarded(409, {}, b"{}"), reused):
        reservation = await reserve(store, who, "free")
        assert isinstance(reservation, Reservation)
        await store.complete(reservation, answer)
    invalid = Forwarded(
        422,
        {"content-type": "application/problem+json"},
        b'{"type": "https://pathwise.dev/problems/validation-error"}',
    )
    reservation = await reserve(store, who, "free")
    assert isinstance(reservation, Reservation)
    await store.complete(reservation, invalid)
    assert await reserve(store, who, "free") == invalid


async def test_keys_belong_to_their_caller_and_are_checked(db: Database) -> None:
    store = IdempotencyStore(db, ttl_hours=1, lease_seconds=LEASE)
    mine, theirs = teacher(), teacher()
    assert isinstance(await reserve(store, mine, "same"), Reservation)
    assert isinstance(await reserve(store, theirs, "same"), Reservation)
    for bad in ("", "with space", "x" * 201):
        with pytest.raises(BadRequest):
            await reserve(store, mine, bad)
