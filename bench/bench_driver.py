"""One hot statement through SQLAlchemy and on the driver (``HotStatement``), side by side.

The statement is the real profile read (profiles' ``read_profile``: the profile, its goals and
the access check's relation columns in one statement), as teacher-01 reading the demo learners,
on the demo database of a started stack. Each round runs it ``CALLS`` times through
``AsyncConnection.execute`` (what it was) and ``CALLS`` times through ``HotStatement.mappings``
(what it is), one connection, one call at a time, and takes this process's CPU time per call
(``time.process_time``: the client's work, which is what the driver path saves; the server's is
the same statement either way). Rounds alternate the two; the ratio is the median of the
per-round ratios. On SQLite both are SQLAlchemy (``HotStatement`` runs SQLite as SQLAlchemy
would), so the ratio is about 1 there: run it on PostgreSQL.

    PATHWISE_TEST_DATABASE=postgresql PATHWISE_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
      .tools/bin/uv run --locked python -m bench driver
"""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bench.common import running_stack
from pathwise_devstack.testing import backend, make_principal
from pathwise_profiles.repository.access import relation_names, relation_params
from pathwise_profiles.repository.profiles import _profile_read, _profile_with_facts
from pathwise_shared.db import async_url
from pathwise_shared.demo import demo_id

DISTRICT = demo_id("district", "riverside")
TEACHER = demo_id("user", "teacher-01")
LEARNERS = [demo_id("learner", f"learner-{n:02d}") for n in range(1, 11)]


async def _cpu_per_call(calls: int, call: Callable[[int], Awaitable[Any]]) -> float:
    started = time.process_time()
    for n in range(calls):
        await call(n)
    return (time.process_time() - started) / calls * 1000


async def _measure(url: str, calls: int, rounds: int) -> dict[str, Any]:
    engine = create_async_engine(async_url(url))
    principal = make_principal(DISTRICT, roles=["teacher"], user_id=TEACHER)
    names = relation_names(principal, "learner")
    params = [relation_params(principal, lid, date.today()) for lid in LEARNERS]
    statement, hot = _profile_with_facts(names), _profile_read(names)
    try:
        async with engine.connect() as conn:
            # Autocommit, as the profile read runs (one statement, no transaction).
            autocommit: AsyncConnection = await conn.execution_options(isolation_level="AUTOCOMMIT")

            async def through_sqlalchemy(n: int) -> Any:
                result = await autocommit.execute(statement, params[n % len(params)])
                return result.mappings().all()

            async def on_the_driver(n: int) -> Any:
                return await hot.mappings(autocommit, params[n % len(params)])

            # Same rows both ways, then warm both (statement caches, the first-run look-ups).
            for p in params:
                via_sa = [dict(r) for r in (await autocommit.execute(statement, p)).mappings()]
                assert via_sa == [dict(r) for r in await hot.mappings(autocommit, p)]
            await _cpu_per_call(200, through_sqlalchemy)
            await _cpu_per_call(200, on_the_driver)
            sa_ms, hot_ms = [], []
            for _ in range(rounds):
                sa_ms.append(await _cpu_per_call(calls, through_sqlalchemy))
                hot_ms.append(await _cpu_per_call(calls, on_the_driver))
    finally:
        await engine.dispose()
    ratios = [h / s for h, s in zip(hot_ms, sa_ms, strict=True)]
    return {
        "sqlalchemy_ms_per_call": [round(x, 4) for x in sa_ms],
        "driver_ms_per_call": [round(x, 4) for x in hot_ms],
        "driver_over_sqlalchemy": round(statistics.median(ratios), 3),
    }


def main(quick: bool) -> dict[str, Any]:
    calls, rounds = (500, 3) if quick else (2000, 5)
    with running_stack({}) as stack:
        measured = asyncio.run(_measure(stack.config.database_urls["profiles"], calls, rounds))
    return {"backend": backend(), "calls_per_round": calls, "rounds": rounds, **measured}
