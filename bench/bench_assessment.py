"""Assessment (issue 4): BKT fitting against pyBKT, scoring through the service, adaptive next item.

1. ``bkt_fit``: 1M synthetic responses drawn from known BKT parameters (100 skills, 10k learners,
   each learner practising 10 skills with 4-16 responses each; ``--quick``: 1k learners). Our
   numpy EM and pyBKT 1.4.3 (its compiled build, default settings) fit the same data in the same
   run: responses/s of each (one fit each, data preparation included), AUC of each on the
   responses of 2.5k further learners neither fit saw (held out; one-step-ahead predictions by the
   same BKT forward pass, so only the parameters differ), the AUC of the true parameters, and the
   mean absolute error of each set of fitted parameters against the truth.
2. ``scoring``: ``PUT /v1/attempts/{id}/responses/{item}`` straight to the assessment service
   (internal token, no gateway) at 32 connections on SQLite and on PostgreSQL. Every request is a
   real first answer of a prepared attempt (10-item check, one learner per attempt), so each one
   scores, updates BKT mastery, writes history and outbox rows and commits.
3. ``adaptive``: the next-item choice on a 10k-item bank: in process (``irt.select_next``: 2PL
   information, randomesque top-5) and through HTTP (``POST /v1/attempts/{id}/next`` on fresh
   adaptive attempts, one connection, so the numbers are latencies, not queueing).
"""

import asyncio
import os
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt
from sqlalchemy import insert, text

from bench.common import percentile, running_stack
from pathwise_assessment.domain import irt
from pathwise_assessment.domain.bkt_fit import build_sequences, fit_em, predict_correct, roc_auc
from pathwise_assessment.models import Item, ItemSkill, ItemVersion
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.testing import TEST_SECRET, make_principal
from pathwise_shared.auth import issue_internal_token
from pathwise_shared.db import Database
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

N_SKILLS = 100
SKILLS_PER_LEARNER = 10
PARAM_NAMES = ("prior", "learn", "guess", "slip")
BANK_SKILL = "4.NBT.B.6"
SCORING_SKILL = "3.OA.C.7"
CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}, {"id": "c", "text": "63"}]

Truth = tuple[npt.NDArray[np.float64], ...]
Responses = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


# -- 1. BKT fitting ----------------------------------------------------------------------------


def synthetic(n_learners: int, seed: int, truth: Truth | None = None) -> tuple[Truth, Responses]:
    """Responses drawn from known parameters, in time order (one step of everyone at a time)."""
    rng = np.random.default_rng(seed)
    if truth is None:
        truth = (rng.uniform(0.05, 0.5, N_SKILLS), rng.uniform(0.05, 0.3, N_SKILLS),
                 rng.uniform(0.05, 0.3, N_SKILLS), rng.uniform(0.05, 0.2, N_SKILLS))  # fmt: skip
    prior, learn, guess, slip = truth
    n_seq = n_learners * SKILLS_PER_LEARNER
    skill = np.argsort(rng.random((n_learners, N_SKILLS)), axis=1)[:, :SKILLS_PER_LEARNER].ravel()
    learner = np.repeat(np.arange(n_learners), SKILLS_PER_LEARNER)
    length = rng.integers(4, 17, n_seq)
    known = rng.random(n_seq) < prior[skill]
    obs = np.zeros((16, n_seq), dtype=np.int64)
    for t in range(16):
        u = rng.random(n_seq)
        obs[t] = np.where(known, u >= slip[skill], u < guess[skill])
        known |= rng.random(n_seq) < learn[skill]
    steps, seqs = np.nonzero(np.arange(16)[:, None] < length[None, :])
    return truth, (skill[seqs], learner[seqs], obs[steps, seqs])


def _timed(fn: Callable[[], Truth], repeats: int) -> tuple[Truth, float]:
    best = float("inf")
    result: Truth = ()
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return result, best


def _ours(train: Responses) -> Truth:
    result = fit_em(build_sequences(*train, N_SKILLS))
    return result.prior, result.learn, result.guess, result.slip


def _pybkt(train: Responses) -> Truth:
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyBKT's own deprecation noise
        import pyBKT.fit.E_step  # noqa: F401  (refuse the pure-Python fallback build)
        from pyBKT.models import Model

        skill, learner, correct = train
        frame = pd.DataFrame({"order_id": np.arange(skill.size), "user_id": learner,
                              "skill_name": skill.astype(str), "correct": correct})  # fmt: skip
        model = Model(seed=42)
        model.fit(data=frame)
        table = model.params().reset_index()
    values = {(str(r["skill"]), str(r["param"])): float(r["value"]) for _, r in table.iterrows()}
    return tuple(
        np.array([values[(str(k), name)] for k in range(N_SKILLS)])
        for name in ("prior", "learns", "guesses", "slips")
    )


def bench_fit(quick: bool) -> dict[str, Any]:
    learners = 1_000 if quick else 10_000
    truth, train = synthetic(learners, seed=7)
    _, test = synthetic(learners // 4, seed=8, truth=truth)
    held_out = build_sequences(*test, N_SKILLS)

    def report(params: Truth, seconds: float | None) -> dict[str, Any]:
        auc = roc_auc(test[2], predict_correct(held_out, *params))
        out: dict[str, Any] = {"auc_held_out": round(auc, 5)}
        if seconds is not None:
            out |= {"seconds": round(seconds, 2), "responses_per_s": round(train[0].size / seconds)}
        out["mae_vs_truth"] = {
            name: round(float(np.abs(p - t).mean()), 4)
            for name, p, t in zip(PARAM_NAMES, params, truth, strict=True)
        }
        return out

    # One fit each, back to back, so both see the same machine (pyBKT alone takes ~6-40 s here).
    ours, ours_s = _timed(lambda: _ours(train), 1)
    theirs, theirs_s = _timed(lambda: _pybkt(train), 1)
    result: dict[str, Any] = {
        "responses": int(train[0].size), "learners": learners, "skills": N_SKILLS,
        "held_out_responses": int(test[0].size),
        "ours": report(ours, ours_s), "pybkt": report(theirs, theirs_s),
        "truth": report(truth, None),
    }  # fmt: skip
    result["throughput_ratio"] = round(theirs_s / ours_s, 2)
    result["auc_ours_minus_pybkt"] = round(
        result["ours"]["auc_held_out"] - result["pybkt"]["auc_held_out"], 5
    )
    return result


# -- 2. and 3. through the service -------------------------------------------------------------


def _headers(roles: list[str]) -> dict[str, str]:
    principal = make_principal(DEMO_DISTRICT, roles=roles)
    return {"Authorization": f"Bearer {issue_internal_token(principal, TEST_SECRET, 3600)}"}


async def _json(
    session: aiohttp.ClientSession, method: str, url: str, body: Any = None
) -> dict[str, Any]:
    async with session.request(method, url, json=body) as response:
        payload: dict[str, Any] = await response.json(content_type=None)
        if response.status >= 400:
            raise RuntimeError(f"{method} {url}: {response.status} {payload}")
        return payload


async def _closed_loop(
    session: aiohttp.ClientSession, requests: list[tuple[str, str, Any]], connections: int,
    duration: float, warmup: int,
) -> dict[str, Any]:  # fmt: skip
    """Each connection sends the next prepared request as soon as its last one answered. The
    first ``warmup`` requests are not measured; the measured window ends after ``duration`` or
    when the prepared requests run out (``ran_out``: then prepare more)."""
    latencies: list[float] = []
    errors = 0

    async def worker(queue: Any, until: float, record: bool) -> None:
        nonlocal errors
        for method, url, body in queue:
            started = time.perf_counter()
            async with session.request(method, url, json=body) as response:
                await response.read()
                status = response.status
            if record:
                latencies.append(time.perf_counter() - started)
                errors += status >= 400
            if time.perf_counter() >= until:
                return

    warm = iter(requests[:warmup])
    await asyncio.gather(*(worker(warm, float("inf"), False) for _ in range(connections)))
    measured = iter(requests[warmup:])
    started = time.perf_counter()
    await asyncio.gather(*(worker(measured, started + duration, True) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {
        "requests": len(ms), "errors": errors, "seconds": round(elapsed, 2),
        "rps": round(len(ms) / elapsed, 1), "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "ran_out": len(ms) >= len(requests) - warmup,
    }  # fmt: skip


async def _scoring(base: str, quick: bool) -> dict[str, Any]:
    """Prepare attempts (one learner each), then answer every item once under load."""
    attempts = 60 if quick else 400
    items_per_check = 10
    async with aiohttp.ClientSession(headers=_headers(["teacher"])) as session:
        item_ids = []
        for n in range(items_per_check):
            item = await _json(session, "POST", f"{base}/v1/items", {
                "stem": f"What is 8 x 7? ({n})", "skill_codes": [SCORING_SKILL],
                "difficulty": -1.0 + n * 0.2,
                "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
            })  # fmt: skip
            item_ids.append(item["id"])
        check = await _json(session, "POST", f"{base}/v1/assessments", {
            "kind": "skill_check", "title": "Bench check", "skill_codes": [SCORING_SKILL],
            "item_ids": item_ids,
        })  # fmt: skip
        started = []
        for _ in range(attempts):
            attempt = await _json(session, "POST", f"{base}/v1/assessments/{check['id']}/attempts",
                                  {"learner_id": str(uuid.uuid4())})  # fmt: skip
            started.append(attempt["id"])
        rng = np.random.default_rng(3)
        # Item-major order: the 32 requests in flight belong to different learners, as in a
        # class answering at the same time (one learner's answers are sequential anyway).
        requests = [
            ("PUT", f"{base}/v1/attempts/{a}/responses/{i}",
             {"answer": {"choice": "b" if rng.random() < 0.7 else "a"}})
            for i in item_ids for a in started
        ]  # fmt: skip
        return await _closed_loop(session, requests, 32, 3.0 if quick else 6.0, warmup=200)


async def _insert_bank(database_url: str, size: int) -> None:
    """A 10k-item bank straight into the service's database (10k POSTs would take minutes)."""
    rng = np.random.default_rng(5)
    now = utcnow()
    items, versions, tags = [], [], []
    for n in range(size):
        iid, b, a = new_id(), float(rng.normal(0, 1.2)), float(rng.uniform(0.5, 2.5))
        items.append({"id": iid, "district_id": DEMO_DISTRICT, "type": "numeric",
                      "current_version": 1, "status": "active", "created_by": "bench",
                      "created_at": now, "updated_at": now})  # fmt: skip
        versions.append({"id": new_id(), "item_id": iid, "district_id": DEMO_DISTRICT,
                         "version": 1, "type": "numeric", "stem": f"Bank item {n}",
                         "skill_codes": [BANK_SKILL], "points": 1.0, "difficulty": b,
                         "discrimination": a, "created_by": "bench", "created_at": now,
                         "spec": {"type": "numeric", "value": n, "tolerance": 0.0}})  # fmt: skip
        tags.append({"item_id": iid, "skill_code": BANK_SKILL, "district_id": DEMO_DISTRICT,
                     "difficulty": b})  # fmt: skip
    db = Database(database_url)
    try:
        async with db.session() as session:
            for table, rows in ((Item, items), (ItemVersion, versions), (ItemSkill, tags)):
                for start in range(0, len(rows), 1000):
                    await session.execute(insert(table), rows[start : start + 1000])
            await session.commit()
        if db.engine.dialect.name == "postgresql":
            # A live database has planner statistics (autovacuum); a bank inserted a second ago
            # has none, and the planner would loop over 10k index probes instead of hashing.
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
    finally:
        await db.dispose()


async def _adaptive_http(base: str, quick: bool) -> dict[str, Any]:
    calls = 30 if quick else 150
    async with aiohttp.ClientSession(headers=_headers(["teacher"])) as session:
        check = await _json(session, "POST", f"{base}/v1/assessments", {
            "kind": "adaptive", "title": "Bench adaptive", "skill_codes": [BANK_SKILL],
            "max_items": 20,
        })  # fmt: skip
        urls = []
        for _ in range(calls + 10):
            attempt = await _json(session, "POST", f"{base}/v1/assessments/{check['id']}/attempts",
                                  {"learner_id": str(uuid.uuid4())})  # fmt: skip
            urls.append(f"{base}/v1/attempts/{attempt['id']}/next")
        # A fresh attempt's first /next always runs the selection over the whole bank.
        requests = [("POST", url, None) for url in urls]
        result = await _closed_loop(session, requests, 1, 600.0, warmup=10)
        return {k: result[k] for k in ("requests", "errors", "p50_ms", "p99_ms")}


def bench_adaptive_in_process(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    size = 10_000
    a, b = rng.uniform(0.5, 2.5, size), rng.normal(0, 1.2, size)
    used = np.zeros(size, dtype=bool)
    used[rng.choice(size, 20, replace=False)] = True
    timings: list[float] = []
    for _ in range(500 if quick else 5000):
        theta = float(rng.normal())
        started = time.perf_counter()
        irt.select_next(theta, a, b, used, top_k=5, rng=rng)
        timings.append((time.perf_counter() - started) * 1000)
    return {"bank": size, "calls": len(timings), "p50_ms": round(percentile(timings, 50), 4),
            "p99_ms": round(percentile(timings, 99), 4)}  # fmt: skip


def bench_service(backend: str, quick: bool) -> dict[str, Any]:
    previous = os.environ.get("PATHWISE_TEST_DATABASE")
    os.environ["PATHWISE_TEST_DATABASE"] = backend
    try:
        with running_stack() as stack:
            base = stack.config.url("assessment")
            scoring = asyncio.run(_scoring(base, quick))
            asyncio.run(_insert_bank(stack.config.database_urls["assessment"], 10_000))
            adaptive = asyncio.run(_adaptive_http(base, quick))
        return {"scoring_32_connections": scoring, "adaptive_next_http_10k_bank": adaptive}
    except Exception as exc:  # a missing PostgreSQL must not lose the other results
        return {"error": f"{type(exc).__name__}: {exc}"[:500]}
    finally:
        if previous is None:
            os.environ.pop("PATHWISE_TEST_DATABASE", None)
        else:
            os.environ["PATHWISE_TEST_DATABASE"] = previous


def main(quick: bool) -> dict[str, Any]:
    return {
        # The machine is shared: say how busy it was, the numbers depend on it.
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "bkt_fit": bench_fit(quick),
        "adaptive_in_process": bench_adaptive_in_process(quick),
        "sqlite": bench_service("sqlite", quick),
        "postgresql": bench_service("postgresql", quick),
    }
