"""``Idempotency-Key`` end to end, through the real gateway (issue 11, findings 1 and 4).

The rules (docs/api.md, "Idempotency-Key"): keys belong to the caller; the same key and request
replay the first answer; the same key with another request is a 422, also once the gateway has
forgotten the key (the service remembers it on what it created); a placeholder left by a gateway
that died mid-forward holds the key only for a short lease, after which a retry gets the resource
the first call created, never a second one and never a permanent 409.
"""

import asyncio
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, delete, func, select, update

from pathwise_assessment.models import ItemVersion
from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import dev_login, start_stack
from pathwise_gateway.models import IdempotencyRecord
from pathwise_shared.db import Database
from pathwise_shared.timeutil import utcnow

pytestmark = pytest.mark.integration

CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}]
RECORDS: Table = IdempotencyRecord.__table__  # type: ignore[assignment]


def item_body(stem: str) -> dict[str, Any]:
    return {"stem": stem, "skill_codes": ["3.OA.C.7"],
            "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"}}  # fmt: skip


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def run_sql(url: str, statement: Any) -> Any:
    """One statement on a service's database, as an operator (or a crash) would leave it."""

    async def go() -> Any:
        db = Database(url)
        try:
            async with db.engine.begin() as conn:
                result = await conn.execute(statement)
                return result.all() if result.returns_rows else result.rowcount
        finally:
            await db.dispose()

    return asyncio.run(go())


def items_with_stem(stack: Stack, stem: str) -> int:
    count = select(func.count()).select_from(ItemVersion).where(ItemVersion.stem == stem)
    rows = run_sql(stack.config.database_urls["assessment"], count)
    return int(rows[0][0])


# --- finding 4: scope and fingerprint -------------------------------------------------------------


def test_another_teachers_key_is_hers_alone(gw: httpx.Client, stack: Stack) -> None:
    teacher_01, teacher_02 = dev_login(gw, "teacher-01"), dev_login(gw, "teacher-02")
    key = f"item-{uuid.uuid4()}"
    first = gw.post("/v1/items", json=item_body("7 × 8, by teacher-01?"),
                    headers=keyed(teacher_01, key))  # fmt: skip
    assert first.status_code == 201, first.text
    # teacher-02 happens to pick the same key (a client library's counter, say), with her item.
    hers = gw.post("/v1/items", json=item_body("7 × 8, by teacher-02?"),
                   headers=keyed(teacher_02, key))  # fmt: skip
    assert hers.status_code == 201, hers.text
    assert hers.json()["id"] != first.json()["id"]
    assert hers.json()["stem"] == "7 × 8, by teacher-02?"
    assert "Idempotent-Replayed" not in hers.headers
    # Also once the gateway has forgotten both keys: the service scopes them to the caller too.
    run_sql(stack.config.database_urls["gateway"], delete(RECORDS).where(RECORDS.c.key == key))
    again = gw.post("/v1/items", json=item_body("7 × 8, by teacher-02?"),
                    headers=keyed(teacher_02, key))  # fmt: skip
    assert again.status_code == 200, again.text
    assert again.json()["id"] == hers.json()["id"]
    assert items_with_stem(stack, "7 × 8, by teacher-02?") == 1


def test_the_same_request_again_gets_the_same_answer(gw: httpx.Client) -> None:
    teacher = dev_login(gw, "teacher-01")
    key = f"item-{uuid.uuid4()}"
    body = item_body(f"Same answer {key}?")
    first = gw.post("/v1/items", json=body, headers=keyed(teacher, key))
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    replay = gw.post("/v1/items", json=body, headers=keyed(teacher, key))
    assert replay.status_code == 201, replay.text
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    for name in ("content-type", "location", "etag"):
        assert replay.headers.get(name) == first.headers.get(name)


def test_the_same_key_with_another_request_is_refused(gw: httpx.Client, stack: Stack) -> None:
    teacher = dev_login(gw, "teacher-01")
    key = f"item-{uuid.uuid4()}"
    stem = f"First request {key}?"
    first = gw.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
    assert first.status_code == 201, first.text

    def refused(response: httpx.Response) -> None:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "https://pathwise.dev/problems/idempotency-key-reused"

    other = item_body(f"Another request {key}?")
    # While the gateway's record lives: the gateway refuses it.
    refused(gw.post("/v1/items", json=other, headers=keyed(teacher, key)))
    # After the record is gone (expiry, simulated): the service refuses it, never answering the
    # first item for a request that asked for another one.
    gone = run_sql(
        stack.config.database_urls["gateway"], delete(RECORDS).where(RECORDS.c.key == key)
    )
    assert gone == 1
    refused(gw.post("/v1/items", json=other, headers=keyed(teacher, key)))
    assert items_with_stem(stack, f"Another request {key}?") == 0
    # The first request itself is still recognised: the item it made, not a second one.
    retry = gw.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
    assert retry.status_code == 200, retry.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert items_with_stem(stack, stem) == 1


# --- finding 1: a placeholder is a lease, not a lock ----------------------------------------------


def test_a_crashed_gateways_placeholder_gives_way_after_its_lease(
    gw: httpx.Client, stack: Stack
) -> None:
    """The service created the item, the gateway died before recording the answer: its record
    is still the placeholder. Within the lease a retry is told to wait; after it, the retry gets
    the item the first call made."""
    teacher = dev_login(gw, "teacher-01")
    key = f"item-{uuid.uuid4()}"
    stem = f"Crash {key}?"
    first = gw.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
    assert first.status_code == 201, first.text
    gateway_db = stack.config.database_urls["gateway"]
    as_if_crashed = update(RECORDS).where(RECORDS.c.key == key).values(
        status=None, headers=None, body=None, expires_at=utcnow() + timedelta(seconds=30)
    )  # fmt: skip
    assert run_sql(gateway_db, as_if_crashed) == 1

    waiting = gw.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
    assert waiting.status_code == 409, waiting.text
    assert waiting.json()["type"] == "https://pathwise.dev/problems/idempotency-key-in-progress"
    assert 1 <= int(waiting.headers["Retry-After"]) <= 30

    lease_over = update(RECORDS).where(RECORDS.c.key == key).values(
        expires_at=utcnow() - timedelta(seconds=1)
    )  # fmt: skip
    run_sql(gateway_db, lease_over)
    recovered = gw.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["id"] == first.json()["id"]
    assert recovered.headers["Idempotent-Replayed"] == "true"
    # That answer is recorded: the next retry is a plain replay from the gateway.
    replay = gw.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
    assert replay.status_code == 200 and replay.content == recovered.content
    assert items_with_stem(stack, stem) == 1


LEASE_SECONDS = 3


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of our own: this test kills its gateway and pauses its assessment service."""
    env = {"GATEWAY_IDEMPOTENCY_LEASE_SECONDS": str(LEASE_SECONDS)}
    with start_stack(tmp_path_factory.mktemp("idem-stack"), env=env) as running:
        yield running


def _wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_kill_9_of_the_gateway_mid_forward(own_stack: Stack) -> None:
    """The issue's reproduction: pause the service, send a keyed create, kill -9 the gateway,
    resume, restart. The retry gets the item the first call created (same id, one item)."""
    stack = own_stack
    base = stack.config.url("gateway")
    with httpx.Client(base_url=base, timeout=20.0) as client:
        teacher = dev_login(client, "teacher-01")
    key = f"item-{uuid.uuid4()}"
    stem = f"Killed {key}?"
    gateway_db = stack.config.database_urls["gateway"]
    assessment = stack.processes["assessment"]
    outcome: list[object] = []

    def first_call() -> None:
        try:
            with httpx.Client(base_url=base, timeout=60.0) as client:
                outcome.append(
                    client.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
                )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    assessment.send_signal(signal.SIGSTOP)
    try:
        caller = threading.Thread(target=first_call)
        caller.start()
        placeholder = select(RECORDS.c.status).where(RECORDS.c.key == key)
        _wait_for(lambda: run_sql(gateway_db, placeholder) == [(None,)], "the placeholder")
        # The forward reaches the paused service's socket (the kernel accepts for it) at once;
        # a second is plenty on a loaded machine.
        time.sleep(1.0)
        stack.processes["gateway"].kill()
        stack.processes["gateway"].wait()
        stack.stop_one("gateway")
    finally:
        assessment.send_signal(signal.SIGCONT)
    caller.join(timeout=30)
    assert outcome and isinstance(outcome[0], httpx.HTTPError), outcome
    # The service got the request before the gateway died, and made the item.
    _wait_for(lambda: items_with_stem(stack, stem) == 1, "the item")

    stack.start_one(next(spec for spec in SERVICES if spec.name == "gateway"))
    stack.wait_ready(timeout=60, services=("gateway",))
    with httpx.Client(base_url=base, timeout=20.0) as client:
        deadline = time.monotonic() + LEASE_SECONDS + 10
        while True:
            retry = client.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
            if retry.status_code != 409 or time.monotonic() > deadline:
                break
            # Only while the lease runs, and it says for how long.
            assert int(retry.headers["Retry-After"]) <= LEASE_SECONDS
            time.sleep(float(retry.headers["Retry-After"]))
        assert retry.status_code == 200, retry.text
        # The very item the lost call created.
        made = select(ItemVersion.item_id).where(ItemVersion.stem == stem)
        assert [str(row[0]) for row in run_sql(stack.config.database_urls["assessment"], made)] == [
            retry.json()["id"]
        ]
        assert retry.headers["Idempotent-Replayed"] == "true"
        again = client.post("/v1/items", json=item_body(stem), headers=keyed(teacher, key))
        assert again.status_code == 200 and again.json()["id"] == retry.json()["id"]
    assert items_with_stem(stack, stem) == 1
