"""The prerequisite graph of a set of skills, built once per framework version and reused.

rustworkx holds the graph (cycle detection, a deterministic topological order); the planner walks
the plain tuples kept beside it, which is faster in Python than crossing into the library for each
node of a small plan.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

import rustworkx as rx

__all__ = ["CycleError", "SkillGraph", "build_graph", "find_cycle", "grade_order_key"]


class CycleError(ValueError):
    """Prerequisite edges that loop back; ``cycle`` names the codes in order (first == last)."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("prerequisite cycle: " + " → ".join(cycle))


@dataclass(frozen=True, eq=False)
class SkillGraph:
    codes: tuple[str, ...]
    index: dict[str, int]
    prereqs: tuple[tuple[int, ...], ...]
    dependents: tuple[tuple[int, ...], ...]
    # rank[i]: position of node i in a deterministic topological order (ties broken by code).
    rank: tuple[int, ...]
    graph: rx.PyDiGraph = field(repr=False)

    def __len__(self) -> int:
        return len(self.codes)

    def prerequisites_of(self, code: str) -> list[str]:
        return [self.codes[p] for p in self.prereqs[self.index[code]]]

    def dependents_of(self, code: str) -> list[str]:
        return [self.codes[d] for d in self.dependents[self.index[code]]]


def grade_order_key(code: str) -> str:
    """Sort key putting Kindergarten first and high school last (``K.CC`` < ``1.OA`` < ``HS.N``)."""
    if code.startswith("K."):
        return "0" + code[1:]
    if code.startswith("HS."):
        return "9" + code[2:]
    return code


def find_cycle(graph: rx.PyDiGraph) -> list[str] | None:
    if rx.is_directed_acyclic_graph(graph):
        return None
    edges = rx.digraph_find_cycle(graph)
    if not edges:  # pragma: no cover - rustworkx found no DAG, so there is a cycle to name
        return None
    names = [str(graph[edges[0][0]])]
    names.extend(str(graph[target]) for _, target in edges)
    return names


def build_graph(codes: Iterable[str], edges: Iterable[tuple[str, str]]) -> SkillGraph:
    """``edges`` are (prerequisite, dependent) pairs; codes an edge names are added if missing.

    Raises :class:`CycleError` naming one cycle when the edges are not a DAG.
    """
    graph = rx.PyDiGraph(check_cycle=False, multigraph=False)
    index: dict[str, int] = {}
    for code in codes:
        if code not in index:
            index[code] = graph.add_node(code)
    pairs: list[tuple[int, int]] = []
    for source, target in edges:
        for code in (source, target):
            if code not in index:
                index[code] = graph.add_node(code)
        pairs.append((index[source], index[target]))
    graph.extend_from_edge_list(pairs)
    cycle = find_cycle(graph)
    if cycle is not None:
        raise CycleError(cycle)
    # This sort hands back node payloads (the codes), not indices.
    order = rx.lexicographical_topological_sort(graph, key=grade_order_key)
    rank = [0] * len(index)
    for position, code in enumerate(order):
        rank[index[code]] = position
    codes_tuple = tuple(str(graph[i]) for i in range(len(index)))
    prereqs = tuple(tuple(sorted(graph.predecessor_indices(i))) for i in range(len(index)))
    dependents = tuple(tuple(sorted(graph.successor_indices(i))) for i in range(len(index)))
    return SkillGraph(
        codes=codes_tuple,
        index=index,
        prereqs=prereqs,
        dependents=dependents,
        rank=tuple(rank),
        graph=graph,
    )
