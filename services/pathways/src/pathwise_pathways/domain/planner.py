"""Planning: goal skills → every unmastered prerequisite → steps in a valid learning order.

A mastered skill is taken to imply its own prerequisites (the surmise relation of knowledge-space
theory), so the walk back from a goal stops at mastered or skipped skills: a learner who has
mastered 3.NF.A.1 is not sent back to 2.G.A.3. Steps come out in a topological order of the
prerequisite graph (never a skill before one of its prerequisites); among the steps that may come
next, the order is: a teacher's explicit rank, then the earliest goal date the step serves, then
ready steps first, then the framework's own topological order.

Real plans (up to a few thousand steps) are walked node by node here, which costs nothing to set
up. A walk that grows past ``WALK_BUDGET`` visits is abandoned for the array path of
:mod:`pathwise_pathways.domain.planner_bulk`, which plans tens of thousands of steps an order of
magnitude faster.
"""

import gc
import heapq
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from typing import NamedTuple, cast

import numpy as np

from pathwise_pathways.domain.graph import SkillGraph
from pathwise_pathways.domain.planner_bulk import MAX_GOAL_BITS, order_columns, reach

__all__ = ["WALK_BUDGET", "Goal", "PlannedStep", "UnknownSkills", "plan_steps"]

_NO_RANK = 1 << 40
_NO_DATE = date.max.toordinal()

# Node visits of the walk before the array path takes over: measured on the synthetic 100k DAG,
# the walk is faster below a few thousand steps, the array path above.
WALK_BUDGET = 8192


class UnknownSkills(ValueError):
    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = list(codes)
        super().__init__("unknown skill codes: " + ", ".join(self.codes))


@dataclass(frozen=True)
class Goal:
    code: str
    target_date: date | None = None


class PlannedStep(NamedTuple):
    # A named tuple rather than a frozen dataclass: building one costs a third as much, which is
    # most of the time of a plan of tens of thousands of steps.
    code: str
    ready: bool
    goal_codes: tuple[str, ...]
    due_date: date | None
    # Prerequisites that are themselves steps of this plan (all earlier in the list).
    waiting_on: tuple[str, ...]


def plan_steps(
    graph: SkillGraph,
    goals: Iterable[Goal],
    mastered: Collection[str],
    *,
    skipped: Collection[str] = (),
    extra_targets: Iterable[str] = (),
    teacher_rank: Mapping[str, int] | None = None,
    walk_budget: int = WALK_BUDGET,
) -> list[PlannedStep]:
    index = graph.index
    goal_list = list(goals)
    targets = [(g.code, g.target_date) for g in goal_list]
    targets.extend((code, None) for code in extra_targets)
    unknown = sorted({code for code, _ in targets if code not in index})
    if unknown:
        raise UnknownSkills(unknown)

    # Checked by code during the walk rather than converted to node ids up front: a learner
    # may have mastered most of a large graph, and the walk touches only the part it needs.
    mastered_set = mastered if isinstance(mastered, set | frozenset) else set(mastered)
    skipped_set = skipped if isinstance(skipped, set | frozenset) else set(skipped)
    goal_codes = {g.code for g in goal_list}
    open_targets = [
        (code, _NO_DATE if day is None else day.toordinal())
        for code, day in targets
        if code not in mastered_set and code not in skipped_set
    ]
    manual = {index[c]: r for c, r in (teacher_rank or {}).items() if c in index}
    goal_names = list(dict.fromkeys(c for c, _ in open_targets if c in goal_codes))
    if len(goal_names) > MAX_GOAL_BITS:
        # The array path keeps served goals as bits of an int64: walk, however long it takes.
        walk_budget = len(graph) * len(open_targets)
    walked = _walk(graph, open_targets, goal_codes, mastered_set, skipped_set, walk_budget)
    if walked is None:
        return _plan_bulk(graph, open_targets, goal_names, mastered_set | skipped_set, manual)
    due, serves = walked
    return _order(graph, due, {n: tuple(dict.fromkeys(g)) for n, g in serves.items()}, manual)


def _walk(
    graph: SkillGraph,
    targets: list[tuple[str, int]],
    goal_codes: set[str],
    mastered: Collection[str],
    skipped: Collection[str],
    budget: int,
) -> tuple[dict[int, int], dict[int, list[str]]] | None:
    """(due day per needed node, goals it serves); None once more than ``budget`` nodes were
    seen."""
    index = graph.index
    codes = graph.codes
    prereqs = graph.prereqs
    due: dict[int, int] = {}
    serves: dict[int, list[str]] = {}
    # One walk per target: measured against one shared walk with goal dates and served goals
    # propagated afterwards in reverse topological order, this was faster for real plans
    # (hundreds to a few thousand steps; the sort the propagation needs costs more than it saves).
    for code, day in targets:
        start = index[code]
        serving = code in goal_codes
        seen = {start}
        stack = [start]
        while stack:
            if len(seen) > budget:
                return None
            node = stack.pop()
            if day < due.get(node, _NO_DATE + 1):
                due[node] = day
            if serving:
                serves.setdefault(node, []).append(code)
            for p in prereqs[node]:
                if p not in seen:
                    seen.add(p)
                    prereq = codes[p]
                    if prereq not in mastered and prereq not in skipped:
                        stack.append(p)
        budget -= len(seen)
    return due, serves


def _plan_bulk(
    graph: SkillGraph,
    targets: list[tuple[str, int]],
    goal_names: list[str],
    blocked: Collection[str],
    manual: Mapping[int, int],
) -> list[PlannedStep]:
    with _collection_paused():
        return _plan_arrays(graph, targets, goal_names, blocked, manual)


def _plan_arrays(
    graph: SkillGraph,
    targets: list[tuple[str, int]],
    goal_names: list[str],
    blocked: Collection[str],
    manual: Mapping[int, int],
) -> list[PlannedStep]:
    index = graph.index
    bits = {code: 1 << k for k, code in enumerate(goal_names)}
    found = reach(graph, [(index[c], day, bits.get(c, 0)) for c, day in targets], blocked, _NO_DATE)
    ranked = np.fromiter(manual, dtype=np.int64, count=len(manual))
    if ranked.size and np.isin(ranked, found.nodes).any():
        # A teacher's rank can put a step ahead of what the sort key would: order with the heap.
        due = dict(zip(found.nodes.tolist(), found.due.tolist(), strict=True))
        masks = dict(zip(found.nodes.tolist(), found.goal_mask.tolist(), strict=True))
        serves = {
            n: tuple(g for k, g in enumerate(goal_names) if m >> k & 1) for n, m in masks.items()
        }
        return _order(graph, due, serves, manual)
    columns = order_columns(graph, found, goal_names, _NO_DATE)
    rows = zip(
        columns.codes,
        columns.ready,
        columns.goal_codes,
        columns.due_dates,
        columns.waiting_on,
        strict=True,
    )
    # tuple.__new__ straight from C: a third faster than the named tuple's Python-level __new__.
    return cast(list[PlannedStep], list(map(tuple.__new__, repeat(PlannedStep), rows)))


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Tens of thousands of new steps would set off dozens of generational collections, and
    every few plans a full one that walks the whole process heap (a cached 100k-skill graph is
    hundreds of thousands of objects): on the 100k benchmark that took the median plan from
    about 30 ms to 120 ms. The steps hold no cycles, so nothing is lost by collecting later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _order(
    graph: SkillGraph,
    needed: dict[int, int],
    serves: Mapping[int, tuple[str, ...]],
    manual: Mapping[int, int],
) -> list[PlannedStep]:
    """Kahn's algorithm over the needed nodes, the heap keyed as the module docstring says."""
    codes = graph.codes
    prereqs = graph.prereqs
    waiting: dict[int, list[int]] = {n: [p for p in prereqs[n] if p in needed] for n in needed}
    remaining = {n: len(ws) for n, ws in waiting.items()}
    dependents = graph.dependents
    ranks = graph.rank

    def key(n: int) -> tuple[int, int, int, int, int]:
        return (manual.get(n, _NO_RANK), needed[n], 1 if waiting[n] else 0, ranks[n], n)

    heap = [key(n) for n, count in remaining.items() if count == 0]
    heapq.heapify(heap)
    steps: list[PlannedStep] = []
    no_goals: tuple[str, ...] = ()
    while heap:
        n = heapq.heappop(heap)[-1]
        day = needed[n]
        steps.append(
            PlannedStep(
                codes[n],
                not waiting[n],
                serves.get(n, no_goals),
                None if day == _NO_DATE else date.fromordinal(day),
                tuple(codes[p] for p in waiting[n]),
            )
        )
        for d in dependents[n]:
            if d in remaining:
                remaining[d] -= 1
                if remaining[d] == 0:
                    heapq.heappush(heap, key(d))
    return steps
