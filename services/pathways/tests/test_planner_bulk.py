"""The planner's array path (``planner_bulk``) plans exactly as the walk does.

``walk_budget=0`` sends every plan down the array path; a budget larger than any graph keeps it
on the walk, which ``test_planner.py`` checks against the planner as first written.
"""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.graph import SkillGraph, build_graph
from pathwise_pathways.domain.planner import WALK_BUDGET, Goal, PlannedStep, plan_steps

_ALWAYS_WALK = 1 << 60
_START = date(2026, 9, 1).toordinal()


def _ccss() -> SkillGraph:
    data = load_ccssm()
    return build_graph(
        [s.code for s in data.skills],
        [(e.source, e.target) for e in data.edges if e.kind == "prerequisite"],
    )


CCSS = _ccss()
CODES = sorted(CCSS.index)


def _both(
    graph: SkillGraph,
    goals: list[Goal],
    mastered: set[str],
    skipped: set[str],
    extra: list[str],
    ranks: dict[str, int],
) -> tuple[list[PlannedStep], list[PlannedStep]]:
    def plan(budget: int) -> list[PlannedStep]:
        return plan_steps(
            graph,
            goals,
            mastered,
            skipped=skipped,
            extra_targets=extra,
            teacher_rank=ranks,
            walk_budget=budget,
        )

    return plan(0), plan(_ALWAYS_WALK)


def _assert_valid(graph: SkillGraph, steps: list[PlannedStep]) -> None:
    position = {s.code: i for i, s in enumerate(steps)}
    assert len(position) == len(steps)
    for i, step in enumerate(steps):
        inside = [p for p in graph.prerequisites_of(step.code) if p in position]
        assert all(position[p] < i for p in inside), step.code
        assert step.waiting_on == tuple(inside) and step.ready == (not inside)


def _goals(codes: list[str], days: list[int]) -> list[Goal]:
    return [
        Goal(code, date.fromordinal(_START + d) if d % 3 else None)
        for code, d in zip(codes, days, strict=False)
    ]


@settings(max_examples=150, deadline=None)
@given(
    goals=st.lists(st.sampled_from(CODES), min_size=1, max_size=6),
    mastered=st.sets(st.sampled_from(CODES), max_size=120),
    skipped=st.sets(st.sampled_from(CODES), max_size=5),
    extra=st.lists(st.sampled_from(CODES), max_size=3),
    days=st.lists(st.integers(0, 300), min_size=6, max_size=6),
    ranked=st.lists(st.sampled_from(CODES), max_size=3, unique=True),
)
def test_array_path_plans_the_ccss_graph_as_the_walk(
    goals: list[str],
    mastered: set[str],
    skipped: set[str],
    extra: list[str],
    days: list[int],
    ranked: list[str],
) -> None:
    ranks = {code: i for i, code in enumerate(ranked)}
    fast, walked = _both(CCSS, _goals(goals, days), mastered, skipped, extra, ranks)
    assert fast == walked
    _assert_valid(CCSS, fast)


@st.composite
def _dags(draw: st.DrawFn) -> SkillGraph:
    size = draw(st.integers(1, 40))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)).filter(
                lambda e: e[0] < e[1]
            ),
            max_size=3 * size,
        )
    )
    # Codes whose order differs from the node order, so rank and node id disagree.
    code = [f"S{(i * 7919) % 1009:04d}" for i in range(size)]
    return build_graph(code, [(code[a], code[b]) for a, b in pairs])


@settings(max_examples=200, deadline=None)
@given(graph=_dags(), data=st.data())
def test_array_path_plans_random_dags_as_the_walk(graph: SkillGraph, data: st.DataObject) -> None:
    codes = sorted(graph.index)
    pick = st.sampled_from(codes)
    goals = data.draw(st.lists(pick, min_size=1, max_size=5))
    days = data.draw(st.lists(st.integers(0, 30), min_size=5, max_size=5))
    mastered = data.draw(st.sets(pick, max_size=len(codes) // 2))
    skipped = data.draw(st.sets(pick, max_size=3))
    extra = data.draw(st.lists(pick, max_size=3))
    ranks = data.draw(st.dictionaries(pick, st.integers(0, 5), max_size=3))
    fast, walked = _both(graph, _goals(goals, days), mastered, skipped, extra, ranks)
    assert fast == walked
    _assert_valid(graph, fast)


def _layered(grades: int, strands: int, per: int) -> SkillGraph:
    """A small cousin of the benchmark's 100k DAG: each skill needs the one before it in its
    strand and the same place one grade below in its own and the next three strands."""
    code = [
        f"G{g:02d}.S{s:02d}.{i:03d}"
        for g in range(grades)
        for s in range(strands)
        for i in range(per)
    ]
    edges = []
    for g in range(grades):
        for s in range(strands):
            for i in range(per):
                me = f"G{g:02d}.S{s:02d}.{i:03d}"
                if i:
                    edges.append((f"G{g:02d}.S{s:02d}.{i - 1:03d}", me))
                for shift in range(4) if g else ():
                    edges.append((f"G{g - 1:02d}.S{(s + shift) % strands:02d}.{i:03d}", me))
    return build_graph(code, edges)


LAYERED = _layered(12, 10, 100)


def test_a_plan_past_the_walk_budget_is_planned_as_the_walk() -> None:
    last = sorted(LAYERED.index, key=lambda c: LAYERED.rank[LAYERED.index[c]])[-3:]
    goals = [Goal(last[0], date(2027, 1, 4)), Goal(last[1]), Goal(last[2], date(2026, 12, 1))]
    mastered = {c for c in LAYERED.index if c.startswith("G00.S03.")}
    fast = plan_steps(LAYERED, goals, mastered, skipped={"G02.S05.010"})
    walked = plan_steps(LAYERED, goals, mastered, skipped={"G02.S05.010"}, walk_budget=_ALWAYS_WALK)
    assert len(fast) > WALK_BUDGET
    assert fast == walked
    _assert_valid(LAYERED, fast)
    assert {s.code for s in fast}.isdisjoint(mastered | {"G02.S05.010"})
    # Each step is due by the earliest date of the goals it serves, listed in the goals' order.
    dated = {g.code: g.target_date or date.max for g in goals}
    for step in fast:
        assert step.goal_codes == tuple(g.code for g in goals if g.code in step.goal_codes)
        assert (step.due_date or date.max) == min(dated[c] for c in step.goal_codes)
    assert {s.code: s.goal_codes for s in fast}[last[0]] == tuple(last)


def test_a_teacher_rank_inside_a_large_plan_still_comes_first() -> None:
    goal = sorted(LAYERED.index, key=lambda c: LAYERED.rank[LAYERED.index[c]])[-1]
    walked = plan_steps(LAYERED, [Goal(goal)], [], walk_budget=_ALWAYS_WALK)
    ready = [s.code for s in walked if s.ready]
    ranks = {ready[-1]: 0}
    fast = plan_steps(LAYERED, [Goal(goal)], [], teacher_rank=ranks, walk_budget=0)
    assert fast[0].code == ready[-1]
    assert fast == plan_steps(
        LAYERED, [Goal(goal)], [], teacher_rank=ranks, walk_budget=_ALWAYS_WALK
    )


def test_more_goals_than_the_array_path_has_bits_are_walked() -> None:
    goals = [Goal(c) for c in sorted(LAYERED.index)[::50][:70]]
    fast = plan_steps(LAYERED, goals, [], walk_budget=0)
    assert fast == plan_steps(LAYERED, goals, [], walk_budget=_ALWAYS_WALK)
    served = {g for s in fast for g in s.goal_codes}
    assert served == {g.code for g in goals}
