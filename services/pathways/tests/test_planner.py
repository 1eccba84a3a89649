"""The planner on the real CCSS graph: never a skill before one of its prerequisites."""

import heapq
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.graph import SkillGraph, build_graph
from pathwise_pathways.domain.planner import Goal, UnknownSkills, plan_steps


def _ccss() -> SkillGraph:
    data = load_ccssm()
    return build_graph(
        [s.code for s in data.skills],
        [(e.source, e.target) for e in data.edges if e.kind == "prerequisite"],
    )


GRAPH = _ccss()
CODES = sorted(GRAPH.index)


def _ancestors_stopping_at(graph: SkillGraph, code: str, done: set[str]) -> set[str]:
    found: set[str] = set()
    stack = [code]
    while stack:
        node = stack.pop()
        if node in found or node in done:
            continue
        found.add(node)
        stack.extend(graph.prerequisites_of(node))
    return found


@settings(max_examples=200, deadline=None)
@given(
    goals=st.lists(st.sampled_from(CODES), min_size=1, max_size=5, unique=True),
    mastered=st.sets(st.sampled_from(CODES), max_size=120),
    days=st.lists(st.integers(0, 300), min_size=5, max_size=5),
)
def test_no_step_before_its_prerequisites(
    goals: list[str], mastered: set[str], days: list[int]
) -> None:
    goal_objs = [
        Goal(code, date.fromordinal(date(2026, 9, 1).toordinal() + d) if d % 3 else None)
        for code, d in zip(goals, days, strict=False)
    ]
    steps = plan_steps(GRAPH, goal_objs, mastered)
    position = {s.code: i for i, s in enumerate(steps)}
    assert len(position) == len(steps)
    for i, step in enumerate(steps):
        assert step.code not in mastered
        for prereq in GRAPH.prerequisites_of(step.code):
            if prereq in position:
                assert position[prereq] < i, f"{step.code} before its prerequisite {prereq}"
        # Ready exactly when no prerequisite is still to be learned in this plan.
        assert step.ready == (not any(p in position for p in GRAPH.prerequisites_of(step.code)))
    expected: set[str] = set()
    for goal in goals:
        expected |= _ancestors_stopping_at(GRAPH, goal, mastered)
    assert set(position) == expected


def test_plan_orders_by_goal_date_then_readiness() -> None:
    steps = plan_steps(
        GRAPH,
        [Goal("5.NF.B.4", date(2027, 5, 1)), Goal("3.OA.C.7", date(2026, 12, 1))],
        mastered=[],
    )
    codes = [s.code for s in steps]
    # Everything the earlier goal needs comes before anything only the later goal needs.
    early = _ancestors_stopping_at(GRAPH, "3.OA.C.7", set())
    last_early = max(codes.index(c) for c in early)
    assert all(codes.index(c) < last_early or c in early for c in codes[: last_early + 1])
    assert codes.index("3.OA.C.7") == last_early
    due = {s.code: s.due_date for s in steps}
    assert due["3.OA.C.7"] == date(2026, 12, 1) and due["5.NF.B.4"] == date(2027, 5, 1)
    first = steps[0]
    assert first.ready and first.waiting_on == ()


def test_mastered_skill_implies_its_prerequisites() -> None:
    steps = plan_steps(GRAPH, [Goal("3.NF.A.3")], mastered=["3.NF.A.1", "3.NF.A.2"])
    assert [s.code for s in steps] == ["3.NF.A.3"] and steps[0].ready
    assert plan_steps(GRAPH, [Goal("3.NF.A.3")], mastered=["3.NF.A.3"]) == []


def test_skipped_and_extra_targets_and_teacher_rank() -> None:
    base = plan_steps(GRAPH, [Goal("3.OA.C.7")], mastered=[])
    skipped = plan_steps(GRAPH, [Goal("3.OA.C.7")], mastered=[], skipped=["3.OA.B.5"])
    assert "3.OA.B.5" not in {s.code for s in skipped}
    extra = plan_steps(GRAPH, [Goal("3.OA.C.7")], mastered=[], extra_targets=["3.MD.A.1"])
    assert {s.code for s in extra} >= {s.code for s in base} | {"3.MD.A.1"}
    ready = [s.code for s in base if s.ready]
    ranked = plan_steps(GRAPH, [Goal("3.OA.C.7")], mastered=[], teacher_rank={ready[-1]: 0})
    assert ranked[0].code == ready[-1]


def test_unknown_goal_is_refused() -> None:
    with pytest.raises(UnknownSkills) as info:
        plan_steps(GRAPH, [Goal("3.XX.A.1")], mastered=[])
    assert info.value.codes == ["3.XX.A.1"]


def _reference_plan(
    graph: SkillGraph, goals: list[Goal], mastered: set[str], extra: list[str]
) -> list[tuple[str, bool, tuple[str, ...], date | None, tuple[str, ...]]]:
    """The planner as first written (one walk per goal), kept as an oracle for the faster one."""
    index, prereqs, codes = graph.index, graph.prereqs, graph.codes
    targets = [(g.code, g.target_date) for g in goals] + [(c, None) for c in extra]
    goal_codes = {g.code for g in goals}
    no_date = date.max.toordinal()
    due: dict[int, int] = {}
    serves: dict[int, list[str]] = {}
    for code, target in targets:
        if code in mastered:
            continue
        day = target.toordinal() if target else no_date
        seen, stack = {index[code]}, [index[code]]
        while stack:
            node = stack.pop()
            due[node] = min(due.get(node, no_date + 1), day)
            if code in goal_codes:
                serves.setdefault(node, []).append(code)
            for p in prereqs[node]:
                if p not in seen:
                    seen.add(p)
                    if codes[p] not in mastered:
                        stack.append(p)
    waiting = {n: [p for p in prereqs[n] if p in due] for n in due}
    remaining = {n: len(w) for n, w in waiting.items()}

    def key(n: int) -> tuple[int, int, int, int]:
        return (due[n], 1 if waiting[n] else 0, graph.rank[n], n)

    heap = [key(n) for n, c in remaining.items() if c == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        n = heapq.heappop(heap)[-1]
        out.append(
            (
                codes[n],
                not waiting[n],
                tuple(dict.fromkeys(serves.get(n, ()))),
                None if due[n] == no_date else date.fromordinal(due[n]),
                tuple(codes[p] for p in waiting[n]),
            )
        )
        for d in graph.dependents[n]:
            if d in remaining:
                remaining[d] -= 1
                if remaining[d] == 0:
                    heapq.heappush(heap, key(d))
    return out


@settings(max_examples=200, deadline=None)
@given(
    goals=st.lists(st.sampled_from(CODES), min_size=1, max_size=6),
    mastered=st.sets(st.sampled_from(CODES), max_size=120),
    extra=st.lists(st.sampled_from(CODES), max_size=3),
    days=st.lists(st.integers(0, 300), min_size=6, max_size=6),
)
def test_one_walk_plans_exactly_as_one_walk_per_goal(
    goals: list[str], mastered: set[str], extra: list[str], days: list[int]
) -> None:
    goal_objs = [
        Goal(code, date.fromordinal(date(2026, 9, 1).toordinal() + d) if d % 3 else None)
        for code, d in zip(goals, days, strict=False)
    ]
    got = plan_steps(GRAPH, goal_objs, mastered, extra_targets=extra)
    want = _reference_plan(GRAPH, goal_objs, mastered, extra)
    assert [(s.code, s.ready, s.goal_codes, s.due_date, s.waiting_on) for s in got] == want
