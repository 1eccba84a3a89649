"""The object-level access cache coalesces concurrent misses: N identical checks in flight at once
make one upstream call, and all N get its answer (or its failure, which is not cached).

The upstream is a real HTTP server on a loopback port that holds every request until the test
releases it, so the checks are truly concurrent while the first call is outstanding.
"""

import asyncio
import json
import uuid
from typing import Any

import pytest

from pathwise_devstack.testing import RawUpstream
from pathwise_gateway.proxy.service.access import AccessChecker
from pathwise_gateway.proxy.service.upstreams import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.http import create_http_client
from pathwise_shared.problems import ServiceUnavailable

SECRET = "coalescing-test-secret-of-enough-length"
N = 20


class HeldUpstream(RawUpstream):
    """Answers ``/internal/access-check`` and ``/internal/owners/attempt/{id}`` once released;
    counts the calls per path."""

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.hits: dict[str, int] = {}
        self.release = asyncio.Event()
        self.learner = uuid.uuid4()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # keep-alive: the gateway's pooled connection sends one request after another
            path = (await self.read_request(reader)).path
            self.hits[path] = self.hits.get(path, 0) + 1
            await self.release.wait()
            answer: dict[str, Any] = (
                {"learner_id": str(self.learner)}
                if path.startswith("/internal/owners/")
                else {"found": True, "allowed": True, "reason": "teaches"}
            )
            phrase = "OK" if self.status == 200 else "Internal Server Error"
            await self.respond(
                writer, f"{self.status} {phrase}", json.dumps(answer).encode(), close=False
            )

    async def first_call_arrived(self) -> None:
        while not self.hits:
            await asyncio.sleep(0.01)
        # Any further (uncoalesced) calls were sent together with the first: let them land.
        await asyncio.sleep(0.2)


def _teacher() -> Principal:
    uid = uuid.uuid4()
    return Principal(
        subject=str(uid), kind="user", district_id=uuid.uuid4(),
        roles=frozenset({"teacher"}), user_id=uid,
    )  # fmt: skip


def _checker(upstream: HeldUpstream) -> tuple[AccessChecker, Any]:
    client = create_http_client(upstream.url, timeout=10, retries=0)
    node = Upstream(
        name="profiles",
        base_url=upstream.url,
        client=client,
        caller=ServiceCaller("profiles", client, SECRET),
    )
    return AccessChecker(node, ttl_seconds=60, owners={"attempt": node}), client


async def test_concurrent_identical_checks_make_one_upstream_call() -> None:
    async with HeldUpstream() as upstream:
        checker, client = _checker(upstream)
        teacher, learner = _teacher(), str(uuid.uuid4())
        try:
            checks = [
                asyncio.create_task(checker.check(teacher, "read", "learner", learner))
                for _ in range(N)
            ]
            await upstream.first_call_arrived()
            upstream.release.set()
            decisions = await asyncio.gather(*checks)
            assert upstream.hits == {"/internal/access-check": 1}
            assert all(d.found and d.allowed for d in decisions)
            # Then cached: no further call.
            await checker.check(teacher, "read", "learner", learner)
            assert upstream.hits == {"/internal/access-check": 1}
            # A different object (or action) is its own call.
            await checker.check(teacher, "write", "learner", learner)
            assert upstream.hits == {"/internal/access-check": 2}
        finally:
            await client.aclose()


async def test_concurrent_checks_of_one_attempt_resolve_its_owner_once() -> None:
    async with HeldUpstream() as upstream:
        checker, client = _checker(upstream)
        teacher, attempt = _teacher(), str(uuid.uuid4())
        try:
            checks = [
                asyncio.create_task(checker.check(teacher, "write", "attempt", attempt))
                for _ in range(N)
            ]
            await upstream.first_call_arrived()
            upstream.release.set()
            decisions = await asyncio.gather(*checks)
            assert upstream.hits == {
                f"/internal/owners/attempt/{attempt}": 1,
                "/internal/access-check": 1,
            }
            assert {d.learner_id for d in decisions} == {upstream.learner}
        finally:
            await client.aclose()


async def test_a_failed_call_fails_every_waiter_and_is_not_cached() -> None:
    async with HeldUpstream(status=500) as upstream:
        checker, client = _checker(upstream)
        teacher, learner = _teacher(), str(uuid.uuid4())
        try:
            checks = [
                asyncio.create_task(checker.check(teacher, "read", "learner", learner))
                for _ in range(N)
            ]
            await upstream.first_call_arrived()
            upstream.release.set()
            results = await asyncio.gather(*checks, return_exceptions=True)
            assert all(isinstance(r, ServiceUnavailable) for r in results)
            assert upstream.hits == {"/internal/access-check": 1}
            with pytest.raises(ServiceUnavailable):
                await checker.check(teacher, "read", "learner", learner)
            assert upstream.hits == {"/internal/access-check": 2}
        finally:
            await client.aclose()


async def test_a_waiter_that_goes_away_does_not_cancel_the_call_for_the_others() -> None:
    async with HeldUpstream() as upstream:
        checker, client = _checker(upstream)
        teacher, learner = _teacher(), str(uuid.uuid4())
        try:
            first = asyncio.create_task(checker.check(teacher, "read", "learner", learner))
            others = [
                asyncio.create_task(checker.check(teacher, "read", "learner", learner))
                for _ in range(3)
            ]
            await upstream.first_call_arrived()
            first.cancel()  # the caller who started the call disconnects
            upstream.release.set()
            decisions = await asyncio.gather(*others)
            assert all(d.allowed for d in decisions)
            assert first.cancelled()
            assert upstream.hits == {"/internal/access-check": 1}
        finally:
            await client.aclose()
