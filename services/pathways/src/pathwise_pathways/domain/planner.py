"""Planning: goal skills → every unmastered prerequisite → steps in a valid learning order.

A mastered skill is taken to imply its own prerequisites (the surmise relation of knowledge-space
theory), so the walk back from a goal stops at mastered or skipped skills: a learner who has
mastered 3.NF.A.1 is not sent back to 2.G.A.3. Steps come out in a topological order of the
prerequisite graph (never a skill before one of its prerequisites); among the steps that may come
next, the order is: a teacher's explicit rank, then the earliest goal date the step serves, then
ready steps first, then the framework's own topological order.
"""

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pathwise_pathways.domain.graph import SkillGraph

__all__ = ["Goal", "PlannedStep", "UnknownSkills", "plan_steps"]

_NO_RANK = 1 << 40
_NO_DATE = date.max.toordinal()


class UnknownSkills(ValueError):
    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = list(codes)
        super().__init__("unknown skill codes: " + ", ".join(self.codes))


@dataclass(frozen=True)
class Goal:
    code: str
    target_date: date | None = None


@dataclass(frozen=True)
class PlannedStep:
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
    codes = graph.codes
    prereqs = graph.prereqs
    due: dict[int, int] = {}
    serves: dict[int, list[str]] = {}
    goal_codes = {g.code for g in goal_list}

    # One walk per target: measured against one shared walk with goal dates and served goals
    # propagated afterwards in reverse topological order, this was faster for real plans
    # (hundreds to a few thousand steps; the sort the propagation needs costs more than it saves).
    for code, target_date in targets:
        start = index[code]
        if code in mastered_set or code in skipped_set:
            continue
        day = target_date.toordinal() if target_date else _NO_DATE
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            if day < due.get(node, _NO_DATE + 1):
                due[node] = day
            if code in goal_codes:
                serves.setdefault(node, []).append(code)
            for p in prereqs[node]:
                if p not in seen:
                    seen.add(p)
                    prereq = codes[p]
                    if prereq not in mastered_set and prereq not in skipped_set:
                        stack.append(p)

    needed = due
    waiting: dict[int, list[int]] = {n: [p for p in prereqs[n] if p in needed] for n in needed}
    remaining = {n: len(ws) for n, ws in waiting.items()}
    dependents = graph.dependents
    ranks = graph.rank
    manual = {index[c]: r for c, r in (teacher_rank or {}).items() if c in index}

    def key(n: int) -> tuple[int, int, int, int, int]:
        return (manual.get(n, _NO_RANK), needed[n], 1 if waiting[n] else 0, ranks[n], n)

    heap = [key(n) for n, count in remaining.items() if count == 0]
    heapq.heapify(heap)
    steps: list[PlannedStep] = []
    while heap:
        n = heapq.heappop(heap)[-1]
        day = needed[n]
        steps.append(
            PlannedStep(
                code=codes[n],
                ready=not waiting[n],
                goal_codes=tuple(dict.fromkeys(serves.get(n, ()))),
                due_date=None if day == _NO_DATE else date.fromordinal(day),
                waiting_on=tuple(codes[p] for p in waiting[n]),
            )
        )
        for d in dependents[n]:
            if d in remaining:
                remaining[d] -= 1
                if remaining[d] == 0:
                    heapq.heappush(heap, key(d))
    return steps
