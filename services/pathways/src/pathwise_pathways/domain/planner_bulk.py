"""The planner's array path, for plans too large to walk node by node in Python.

Same semantics as the walk in :mod:`pathwise_pathways.domain.planner` (tested against it): the
steps are every skill reachable back from a target through skills that are neither mastered nor
skipped. Each target's closure is one depth-first search in rustworkx on a reversed copy of the
graph (its edge list comes back as a NumPy array without a Python object per node); due dates and
served goals are then NumPy minimum and bit-or over those closures, and the order is one
``argsort`` instead of a heap (see ``order_key`` for why that is the same order).

The reversed graph and the per-node arrays are built on the first large plan of a graph and kept
as long as the graph is (a graph is immutable once built and cached per framework version).
"""

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt
import rustworkx as rx

from pathwise_pathways.domain.graph import SkillGraph

__all__ = ["MAX_GOAL_BITS", "Reach", "StepColumns", "order_columns", "reach"]

# Served goals are a bit set per node in an int64.
MAX_GOAL_BITS = 62

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class _Arrays:
    reversed_graph: rx.PyDiGraph
    rank: IntArray
    codes: ObjArray
    # prereq_codes[n]: codes of all of n's prerequisites, the ``waiting_on`` of a step whose
    # prerequisites are all still to learn (always so when nothing blocks the closure).
    prereq_codes: ObjArray
    has_prereqs: npt.NDArray[np.bool_]
    # Prerequisite edges as CSR rows: edge_row[e] is the dependent, edge_prereq[e] its prerequisite.
    edge_row: IntArray
    edge_prereq: IntArray


_cache: "WeakKeyDictionary[SkillGraph, _Arrays]" = WeakKeyDictionary()
_cache_lock = threading.Lock()


def _arrays(graph: SkillGraph) -> _Arrays:
    found = _cache.get(graph)
    if found is not None:
        return found
    with _cache_lock:
        found = _cache.get(graph)
        if found is None:
            found = _build_arrays(graph)
            _cache[graph] = found
        return found


def _object_array(items: Sequence[object]) -> ObjArray:
    # np.array() would turn a sequence of tuples into a 2-D array; fill element by element.
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _build_arrays(graph: SkillGraph) -> _Arrays:
    reversed_graph = graph.graph.copy()
    reversed_graph.reverse()
    codes = graph.codes
    lengths = np.fromiter((len(p) for p in graph.prereqs), np.int64, len(graph))
    edge_prereq = np.fromiter((p for ps in graph.prereqs for p in ps), np.int64, int(lengths.sum()))
    return _Arrays(
        reversed_graph=reversed_graph,
        rank=np.asarray(graph.rank, dtype=np.int64),
        codes=_object_array(codes),
        prereq_codes=_object_array([tuple(codes[p] for p in ps) for ps in graph.prereqs]),
        has_prereqs=lengths > 0,
        edge_row=np.repeat(np.arange(len(graph), dtype=np.int64), lengths),
        edge_prereq=edge_prereq,
    )


@dataclass(frozen=True, eq=False)
class Reach:
    """The needed skills of a plan: node ids (ascending), and for each its due day (an ordinal)
    and the bit set of the goals it serves."""

    nodes: IntArray
    due: IntArray
    goal_mask: IntArray
    # True when no mastered or skipped skill lies behind a needed one, so every prerequisite of
    # a needed skill is needed too.
    closed: bool


def reach(
    graph: SkillGraph,
    targets: Sequence[tuple[int, int, int]],
    blocked: Collection[str],
    no_date: int,
) -> Reach:
    """``targets``: (node, due day ordinal, goal bit or 0), none of them blocked."""
    arrays = _arrays(graph)
    size = len(graph)
    rev = arrays.reversed_graph
    closures: dict[int, IntArray] = {}
    for node, _, _ in targets:
        if node not in closures:
            closures[node] = _closure(rev, node)
    blocked_ids = [i for i in map(graph.index.get, blocked) if i is not None]
    closed = True
    if blocked_ids:
        mask = np.zeros(size, dtype=np.bool_)
        mask[blocked_ids] = True
        if any(mask[c].any() for c in closures.values()):
            # A mastered or skipped skill lies behind a target: search again on a copy without
            # them, so the search stops there as the walk does.
            closed = False
            pruned = rev.copy()
            pruned.remove_nodes_from(blocked_ids)
            closures = {node: _closure(pruned, node) for node in closures}
    due = np.full(size, no_date + 1, dtype=np.int64)
    goal_mask = np.zeros(size, dtype=np.int64)
    for node, day, bit in targets:
        closure = closures[node]
        due[closure] = np.minimum(due[closure], day)
        if bit:
            goal_mask[closure] |= bit
    nodes = np.flatnonzero(due <= no_date)
    return Reach(nodes=nodes, due=due[nodes], goal_mask=goal_mask[nodes], closed=closed)


def _closure(rev: rx.PyDiGraph, node: int) -> IntArray:
    # Each node a depth-first search reaches is the target of exactly one tree edge.
    edges = np.asarray(rx.dfs_edges(rev, node), dtype=np.int64)
    reached = edges[:, 1] if edges.size else np.empty(0, dtype=np.int64)
    return np.concatenate((np.array([node], dtype=np.int64), reached))


@dataclass(frozen=True, eq=False)
class StepColumns:
    codes: list[str]
    ready: list[bool]
    goal_codes: list[tuple[str, ...]]
    due_dates: list[date | None]
    waiting_on: list[tuple[str, ...]]


def order_columns(
    graph: SkillGraph, found: Reach, goal_names: Sequence[str], no_date: int
) -> StepColumns:
    """The steps in plan order, as columns, when no teacher rank applies to a needed skill.

    The planner's heap pops, among the steps whose prerequisites are all placed, the least
    (goal date, locked, topological rank). That key strictly increases along every prerequisite
    edge inside a plan (a prerequisite serves every goal its dependent serves, so its date is no
    later; a step with a prerequisite in the plan is locked; ranks are topological), so the heap
    always pops the least remaining step: the order is simply the sort by that key.
    """
    arrays = _arrays(graph)
    size = len(graph)
    nodes = found.nodes
    waiting: ObjArray
    if found.closed:
        locked = arrays.has_prereqs[nodes]
        waiting = arrays.prereq_codes[nodes]
    else:
        needed = np.zeros(size, dtype=np.bool_)
        needed[nodes] = True
        inside = needed[arrays.edge_prereq]
        open_prereqs = np.bincount(arrays.edge_row[inside], minlength=size)[nodes]
        all_prereqs = np.bincount(arrays.edge_row, minlength=size)[nodes]
        locked = open_prereqs > 0
        waiting = arrays.prereq_codes[nodes].copy()
        codes = graph.codes
        for at in np.flatnonzero(open_prereqs != all_prereqs).tolist():
            node = int(nodes[at])
            waiting[at] = tuple(codes[p] for p in graph.prereqs[node] if needed[p])
    key = (found.due * 2 + locked) * size + arrays.rank[nodes]
    order = np.argsort(key, kind="stable")
    days, day_at = np.unique(found.due[order], return_inverse=True)
    dates = _object_array([None if d == no_date else date.fromordinal(d) for d in days.tolist()])
    masks, mask_at = np.unique(found.goal_mask[order], return_inverse=True)
    served = _object_array(
        [tuple(g for k, g in enumerate(goal_names) if m >> k & 1) for m in masks.tolist()]
    )
    return StepColumns(
        codes=arrays.codes[nodes[order]].tolist(),
        ready=(~locked[order]).tolist(),
        goal_codes=served[mask_at].tolist(),
        due_dates=dates[day_at].tolist(),
        waiting_on=waiting[order].tolist(),
    )
