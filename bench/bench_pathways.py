"""Pathways (issue 5): planning in process and through HTTP, class grouping.

1. ``plan_ccss``: one learner's plan on the full Common Core math graph (the vendored data, as
   imported), on a graph built once and cached (as the service keeps it): our planner
   (``plan_steps``: walk back from the goals stopping at mastered skills, then a heap-ordered
   topological sort of the needed skills; past ``WALK_BUDGET`` visited nodes, the array path of
   ``planner_bulk``) against a rustworkx baseline in the same run
   (``rx.ancestors`` of each goal, minus the mastered skills, then
   ``lexicographical_topological_sort`` of that subgraph). Two learners: a grade 3 learner with the
   demo goals who has mastered grade 2 and below, and the worst case of the graph: the three skills
   with the most ancestors as goals, nothing mastered.
2. ``plan_100k``: the same on a synthetic 100k-skill DAG (10 grades x 100 strands x 100 skills;
   each skill needs the one before it in its strand, the same place one grade below, and now and
   then a skill of another strand one grade below), a grade 9 learner with three goals who has
   mastered grade 6 and below, and a far worse case: the last three skills of the topological
   order as goals with nothing mastered (a "plan" of tens of thousands of steps), where the
   planner takes its array path; the node-by-node walk alone is timed beside it.
3. ``grouping``: ``group_by_next_skill`` and ``group_by_band`` for a class of 35 and a grade of
   500 (next skills drawn from the CCSS graph, min 3, max 6).
4. ``http``: ``POST /v1/learners/{id}/pathway`` (a full replan: profile and mastery read from the
   other services, steps diffed, boards ranked, a version written), straight to the pathways
   service (internal token, no gateway), 32 connections each replanning its own demo learner;
   the same with all 32 on one learner (conflicts answer 409); ``GET`` of one pathway. On the demo
   district of ``make run`` (SQLite, or PostgreSQL with ``PATHWISE_TEST_DATABASE=postgresql``).
"""

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import aiohttp
import rustworkx as rx

from bench.common import load, percentile, running_stack
from pathwise_devstack.testing import TEST_SECRET, make_principal
from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.graph import SkillGraph, build_graph, grade_order_key
from pathwise_pathways.domain.grouping import LearnerStanding, group_by_band, group_by_next_skill
from pathwise_pathways.domain.planner import Goal, plan_steps
from pathwise_shared.auth import issue_internal_token
from pathwise_shared.demo import demo_id


def _time_ms(fn: Callable[[], object], repeats: int) -> dict[str, float]:
    """Median and best wall time of ``repeats`` calls, in milliseconds."""
    fn()  # warm caches the way a long-running service has them warm
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 4), "best_ms": round(min(times), 4)}


def _rx_plan(graph: SkillGraph, goals: list[str], mastered: set[int]) -> list[str]:
    """The library baseline: ancestors of each goal, minus mastered, sorted topologically."""
    needed: set[int] = set()
    for code in goals:
        node = graph.index[code]
        needed.update(rx.ancestors(graph.graph, node))
        needed.add(node)
    needed -= mastered
    sub = graph.graph.subgraph(sorted(needed))
    return list(rx.lexicographical_topological_sort(sub, key=grade_order_key))


def _compare(
    graph: SkillGraph, goals: list[str], mastered: set[str], repeats: int, walk_repeats: int = 0
) -> dict[str, Any]:
    mastered_idx = {graph.index[c] for c in mastered}
    goal_objs = [Goal(c, date(2027, 5, 31)) for c in goals]
    started = time.perf_counter()
    ours = plan_steps(graph, goal_objs, mastered)
    first_ms = (time.perf_counter() - started) * 1000
    theirs = _rx_plan(graph, goals, mastered_idx)
    position = {s.code: i for i, s in enumerate(ours)}
    assert all(position[p] < i for i, s in enumerate(ours) for p in s.waiting_on), (
        "a planned step comes before one of its prerequisites"
    )
    assert set(position) == set(theirs), "the planner and the baseline need different skills"
    result: dict[str, Any] = {
        "goals": goals,
        "mastered": len(mastered),
        "steps": len(ours),
        "baseline_steps": len(theirs),
        # The first plan on a graph builds the array path's arrays once, when it takes that path.
        "first_plan_ms": round(first_ms, 2),
        "plan_steps": _time_ms(lambda: plan_steps(graph, goal_objs, mastered), repeats),
        "rustworkx_ancestors_toposort": _time_ms(
            lambda: _rx_plan(graph, goals, mastered_idx), repeats
        ),
    }
    if walk_repeats:
        # The node-by-node walk alone (the planner before the array path), for comparison.
        walk = plan_steps(graph, goal_objs, mastered, walk_budget=1 << 60)
        assert walk == ours, "the walk and the array path plan differently"
        result["walk_only"] = _time_ms(
            lambda: plan_steps(graph, goal_objs, mastered, walk_budget=1 << 60), walk_repeats
        )
    return result


def _worst_goals(graph: SkillGraph, count: int) -> list[str]:
    """The ``count`` skills with the most ancestors (counted on a graph the size of CCSS)."""
    sizes = {code: len(rx.ancestors(graph.graph, i)) for code, i in graph.index.items()}
    return sorted(sizes, key=lambda c: (-sizes[c], c))[:count]


def _last_goals(graph: SkillGraph, count: int) -> list[str]:
    """The last skills in topological order: counting every node's ancestors on 100k skills
    would take minutes, and in this layered DAG the last skills have the largest closures."""
    by_rank = sorted(graph.index, key=lambda c: graph.rank[graph.index[c]])
    return by_rank[-count:]


def bench_plan_ccss(quick: bool) -> dict[str, Any]:
    data = load_ccssm()
    codes = [s.code for s in data.skills]
    edges = [(e.source, e.target) for e in data.edges if e.kind == "prerequisite"]
    started = time.perf_counter()
    graph = build_graph(codes, edges)
    build_ms = (time.perf_counter() - started) * 1000
    grade = {s.code: s.grade for s in data.skills}
    below_3 = {c for c in graph.index if grade.get(c) in {"K", "1", "2"}}
    repeats = 200 if quick else 2000
    return {
        "skills": len(graph),
        "prerequisite_edges": len(edges),
        "build_graph_ms": round(build_ms, 2),
        "grade3_learner": _compare(graph, ["3.NF.A.1", "3.NF.A.2"], below_3, repeats),
        "worst_case": _compare(graph, _worst_goals(graph, 3), set(), repeats),
    }


def synthetic_dag(seed: int = 5) -> tuple[list[str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    grades, strands, per = 10, 100, 100
    codes = [f"G{g}.S{s:03d}.{i:03d}" for g in range(grades) for s in range(strands)
             for i in range(per)]  # fmt: skip
    edges: list[tuple[str, str]] = []
    for g in range(grades):
        for s in range(strands):
            for i in range(per):
                me = f"G{g}.S{s:03d}.{i:03d}"
                if i:
                    edges.append((f"G{g}.S{s:03d}.{i - 1:03d}", me))
                if g:
                    edges.append((f"G{g - 1}.S{s:03d}.{i:03d}", me))
                    if rng.random() < 0.05:
                        other = rng.randrange(strands)
                        edges.append((f"G{g - 1}.S{other:03d}.{rng.randrange(per):03d}", me))
    return codes, sorted(set(edges))


def bench_plan_100k(quick: bool) -> dict[str, Any]:
    codes, edges = synthetic_dag()
    started = time.perf_counter()
    graph = build_graph(codes, edges)
    build_ms = (time.perf_counter() - started) * 1000
    below_7 = {c for c in codes if int(c[1]) <= 6}
    goals = ["G9.S007.040", "G9.S042.060", "G9.S077.020"]
    repeats = 3 if quick else 10
    return {
        "skills": len(graph),
        "prerequisite_edges": len(edges),
        "build_graph_ms": round(build_ms, 1),
        "grade9_learner": _compare(graph, goals, below_7, repeats * 10),
        "last_three_skills_nothing_mastered": _compare(
            graph, _last_goals(graph, 3), set(), repeats * 3, walk_repeats=repeats // 2
        ),
    }


def bench_grouping(quick: bool) -> dict[str, Any]:
    data = load_ccssm()
    graph = build_graph(
        [s.code for s in data.skills],
        [(e.source, e.target) for e in data.edges if e.kind == "prerequisite"],
    )
    rng = random.Random(35)
    pool = [c for c in graph.index if c.startswith(("3.", "4."))][:40]
    rank, index = graph.rank, graph.index
    result: dict[str, Any] = {}
    for name, size in (("class_35", 35), ("grade_500", 500)):
        learners = [
            LearnerStanding(f"learner-{n:04d}", rng.choice([*pool, None]), rng.random())
            for n in range(size)
        ]
        by_skill = group_by_next_skill(learners, lambda c: rank[index[c]], min_size=3, max_size=6)
        repeats = 200 if quick else 2000
        result[name] = {
            "next_skill_groups": len(by_skill),
            "next_skill": _time_ms(
                lambda ls=learners: group_by_next_skill(  # type: ignore[misc]
                    ls, lambda c: rank[index[c]], min_size=3, max_size=6
                ),
                repeats,
            ),
            "mastery_band": _time_ms(
                lambda ls=learners: group_by_band(ls, min_size=3, max_size=6),  # type: ignore[misc]
                repeats,
            ),
        }
    return result


async def _replan_loop(
    base: str, headers: dict[str, str], learners: list[uuid.UUID], duration: float
) -> dict[str, Any]:
    """Closed loop, one connection per learner (so no two requests change one pathway at once)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=len(learners))
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker(learner: uuid.UUID, until: float, record: bool) -> None:
            url = f"{base}/v1/learners/{learner}/pathway"
            while time.perf_counter() < until:
                started = time.perf_counter()
                async with session.post(url, json={"reason": "bench"}) as response:
                    await response.read()
                if record:
                    latencies.append((time.perf_counter() - started) * 1000)
                    statuses[response.status] = statuses.get(response.status, 0) + 1

        warm = time.perf_counter() + 1.0
        await asyncio.gather(*(worker(lid, warm, False) for lid in learners))
        started = time.perf_counter()
        await asyncio.gather(*(worker(lid, started + duration, True) for lid in learners))
        elapsed = time.perf_counter() - started
    return {
        "connections": len(learners),
        "requests": len(latencies),
        "statuses": statuses,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
    }


def bench_http(quick: bool) -> dict[str, Any]:
    district = demo_id("district", "riverside")
    learners = [demo_id("learner", f"learner-{n:02d}") for n in range(1, 33)]
    teacher = make_principal(district, roles=["teacher"], user_id=demo_id("user", "teacher-01"))
    headers = {"Authorization": f"Bearer {issue_internal_token(teacher, TEST_SECRET, 3600)}"}
    duration = 3.0 if quick else 8.0
    with running_stack() as stack:
        base = stack.config.url("pathways")
        replan = asyncio.run(_replan_loop(base, headers, learners, duration))
        one = f"{base}/v1/learners/{learners[1]}/pathway"
        same = load(one, method="POST", headers=headers, body={"reason": "bench"},
                    duration=duration, ok=(201,))  # fmt: skip
        read = load(one, headers=headers, duration=duration, ok=(200,))
    return {
        "replan_32_learners_32_connections": replan,
        # 32 connections replanning one learner: all but one per round lose the race (409).
        "replan_one_learner_32_connections": {**same.as_dict(), "conflicts_409": same.errors},
        "read_get_32_connections": read.as_dict(),
    }


def main(quick: bool) -> dict[str, Any]:
    return {
        "plan_ccss": bench_plan_ccss(quick),
        "plan_100k": bench_plan_100k(quick),
        "grouping": bench_grouping(quick),
        "http": bench_http(quick),
    }
