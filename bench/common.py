"""What the benchmarks share: a running stack on free ports and an HTTP load generator.

The load generator is aiohttp with a fixed number of connections, each sending its next request
as soon as the last one answered (closed loop, like wrk). It runs in this process while the
services run as their own uvicorn processes, so on a 2-core machine the absolute numbers are
lower than wrk's; compare the ratios measured in the same run, never numbers across runs.
"""

import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import start_stack

__all__ = ["SERVICE_POOL_SIZE", "LoadResult", "load", "percentile", "running_stack"]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


async def _load(
    url: str, method: str, headers: Mapping[str, str], body: Any, connections: int,
    duration: float, warmup: float, ok: tuple[int, ...],
) -> LoadResult:  # fmt: skip
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=dict(headers)) as session:

        async def worker(until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                started = time.perf_counter()
                async with session.request(method, url, json=body) as response:
                    await response.read()
                    status = response.status
                if record:
                    latencies.append(time.perf_counter() - started)
                    if status not in ok:
                        errors += 1

        if warmup > 0:
            end = time.perf_counter() + warmup
            await asyncio.gather(*(worker(end, False) for _ in range(connections)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + duration, True) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return LoadResult(
        requests=len(ms), errors=errors, seconds=elapsed, rps=len(ms) / elapsed,
        p50_ms=percentile(ms, 50), p99_ms=percentile(ms, 99),
        mean_ms=statistics.fmean(ms) if ms else 0.0,
    )  # fmt: skip


def load(
    url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None,
    body: Any = None, connections: int = 32, duration: float = 5.0, warmup: float = 1.0,
    ok: tuple[int, ...] = (200, 201),
) -> LoadResult:  # fmt: skip
    """Closed-loop load on one URL; responses outside ``ok`` count as errors."""
    return asyncio.run(_load(url, method, headers or {}, body, connections, duration, warmup, ok))


# Each service's connections, as in production (PATHWISE_DB_POOL_SIZE's default).
SERVICE_POOL_SIZE = 20


@contextmanager
def running_stack(env: Mapping[str, str] | None = None, *, seed: bool = True) -> Iterator[Stack]:
    """The four services on free loopback ports with fresh databases (and the demo district).

    The database backend follows ``PATHWISE_TEST_DATABASE`` (sqlite by default, or postgresql),
    exactly as in the test suite.
    """
    # The services' production pool, not the tests' small one: the pool is part of what is measured.
    production_pool = {
        "PATHWISE_DB_POOL_SIZE": str(SERVICE_POOL_SIZE), "PATHWISE_DB_MAX_OVERFLOW": "0",
    }  # fmt: skip
    with (
        tempfile.TemporaryDirectory(prefix="pathwise-bench-") as tmp,
        start_stack(Path(tmp), seed=seed, env={**production_pool, **(env or {})}) as stack,
    ):
        yield stack
