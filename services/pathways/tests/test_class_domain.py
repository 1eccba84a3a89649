"""Grouping and insights as pure functions: sizes, ordering, edge cases, every reason code."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathwise_pathways.domain.grouping import (
    LearnerStanding,
    band_of,
    group_by_band,
    group_by_next_skill,
)
from pathwise_pathways.domain.insights import (
    FAILED_CHECKS,
    STALL_DAYS,
    LearnerSignals,
    SkillSignal,
    flag_learner,
)

RANK = {"K.CC.A.1": 0, "1.OA.A.1": 1, "2.OA.A.1": 2, "3.OA.A.1": 3}
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _rank(code: str) -> int:
    return RANK.get(code, len(RANK))


def _needing(*pairs: tuple[str, int]) -> list[LearnerStanding]:
    """Learners l00, l01, … each needing the given skill next, ``count`` learners per skill."""
    learners: list[LearnerStanding] = []
    for code, count in pairs:
        for _ in range(count):
            learners.append(LearnerStanding(f"l{len(learners):02d}", code or None, None))
    return learners


def test_same_next_skill_groups_in_teaching_order() -> None:
    learners = _needing(("3.OA.A.1", 3), ("1.OA.A.1", 3), ("", 2))
    groups = group_by_next_skill(learners, _rank, min_size=2, max_size=6)
    assert [g.label for g in groups] == ["1.OA.A.1", "3.OA.A.1", "nothing next"]
    assert [g.skill_codes for g in groups] == [("1.OA.A.1",), ("3.OA.A.1",), ()]
    assert groups[0].learner_ids == ("l03", "l04", "l05")


def test_a_small_bucket_merges_into_its_smaller_neighbour() -> None:
    learners = _needing(("K.CC.A.1", 4), ("1.OA.A.1", 1), ("2.OA.A.1", 2))
    groups = group_by_next_skill(learners, _rank, min_size=2, max_size=6)
    # The single learner of 1.OA.A.1 joins 2.OA.A.1 (2 learners), not K.CC.A.1 (4).
    assert [g.label for g in groups] == ["K.CC.A.1", "1.OA.A.1 + 2.OA.A.1"]
    assert groups[1].skill_codes == ("1.OA.A.1", "2.OA.A.1")
    assert [len(g.learner_ids) for g in groups] == [4, 3]


def test_a_large_bucket_splits_evenly_within_max() -> None:
    groups = group_by_next_skill(_needing(("3.OA.A.1", 14)), _rank, min_size=2, max_size=6)
    assert [len(g.learner_ids) for g in groups] == [5, 5, 4]
    assert [g.label for g in groups] == [f"3.OA.A.1 ({i}/3)" for i in (1, 2, 3)]


def test_merged_then_split_groups_name_only_their_own_skills() -> None:
    learners = _needing(("1.OA.A.1", 1), ("2.OA.A.1", 5))
    groups = group_by_next_skill(learners, _rank, min_size=3, max_size=3)
    assert [len(g.learner_ids) for g in groups] == [3, 3]
    assert groups[0].skill_codes == ("1.OA.A.1", "2.OA.A.1")
    assert groups[1].skill_codes == ("2.OA.A.1",)
    assert groups[1].label == "2.OA.A.1 (2/2)"


def test_empty_class_has_no_groups() -> None:
    assert group_by_next_skill([], _rank, min_size=2, max_size=6) == []
    assert group_by_band([], min_size=2, max_size=6) == []


def test_a_class_smaller_than_the_minimum_is_one_group() -> None:
    groups = group_by_next_skill(
        _needing(("K.CC.A.1", 1), ("2.OA.A.1", 1)), _rank, min_size=4, max_size=6
    )
    assert len(groups) == 1 and len(groups[0].learner_ids) == 2


def test_all_mastered_is_one_nothing_next_group_split_by_max() -> None:
    groups = group_by_next_skill(_needing(("", 8)), _rank, min_size=2, max_size=4)
    assert [(g.label, g.skill_codes, len(g.learner_ids)) for g in groups] == [
        ("nothing next (1/2)", (), 4),
        ("nothing next (2/2)", (), 4),
    ]


def test_unknown_skills_sort_after_known_ones() -> None:
    groups = group_by_next_skill(
        _needing(("ZZ.1", 2), ("K.CC.A.1", 2)), _rank, min_size=1, max_size=6
    )
    assert [g.label for g in groups] == ["K.CC.A.1", "ZZ.1"]


def test_bands_lowest_first_and_no_mastery_counts_as_emerging() -> None:
    learners = [
        LearnerStanding("a", None, 0.9),
        LearnerStanding("b", None, 0.5),
        LearnerStanding("c", None, None),
        LearnerStanding("d", None, 0.1),
        LearnerStanding("e", None, 0.75),
        LearnerStanding("f", None, 0.45),
    ]
    groups = group_by_band(learners, min_size=1, max_size=6)
    assert [(g.label, g.learner_ids) for g in groups] == [
        ("emerging", ("c", "d")),
        ("developing", ("f", "b")),
        ("secure", ("e", "a")),
    ]
    assert [band_of(p) for p in (None, 0.0, 0.39, 0.4, 0.69, 0.7, 1.0)] == [
        "emerging", "emerging", "emerging", "developing", "developing", "secure", "secure",
    ]  # fmt: skip


def test_an_empty_band_leaves_no_group_and_a_small_one_merges() -> None:
    learners = [LearnerStanding(f"s{i}", None, 0.9) for i in range(5)]
    learners.append(LearnerStanding("low", None, 0.1))
    groups = group_by_band(learners, min_size=2, max_size=6)
    assert [g.label for g in groups] == ["emerging + secure"]
    assert groups[0].learner_ids[0] == "low"


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=12), min_size=0, max_size=6),
    nothing=st.integers(min_value=0, max_value=5),
    min_size=st.integers(min_value=1, max_value=6),
    extra=st.integers(min_value=0, max_value=6),
)
def test_every_learner_in_exactly_one_group_within_bounds(
    sizes: list[int], nothing: int, min_size: int, extra: int
) -> None:
    max_size = min_size + extra
    codes = list(RANK)
    pairs = [
        (codes[i % len(codes)] + ("" if i < len(codes) else f".{i}"), n)
        for i, n in enumerate(sizes)
    ]
    learners = _needing(*pairs, ("", nothing))
    groups = group_by_next_skill(learners, _rank, min_size=min_size, max_size=max_size)
    placed = [lid for g in groups for lid in g.learner_ids]
    assert sorted(placed) == sorted(s.learner_id for s in learners)
    assert all(1 <= len(g.learner_ids) <= max_size for g in groups)
    total = len(learners)
    if len(groups) > 1:
        # Below the minimum only where no split could meet both bounds.
        for g in groups:
            if len(g.learner_ids) < min_size:
                assert max_size < 2 * min_size - 1 or total < min_size
    needs = {s.learner_id: s.next_skill for s in learners}
    for g in groups:
        assert {needs[lid] for lid in g.learner_ids if needs[lid]} == set(g.skill_codes)


def _signals(**changes: object) -> LearnerSignals:
    base: dict[str, object] = {
        "learner_id": "l1",
        "has_pathway": True,
        "current_skill": "3.NF.A.1",
        "current_since": NOW - timedelta(days=1),
        "skills": [SkillSignal("3.NF.A.1", 0.5, False, 1, NOW - timedelta(days=1))],
        "at_risk_goals": [],
        "missing_features": [],
    }
    base.update(changes)
    return LearnerSignals(**base)  # type: ignore[arg-type]


def _codes(signals: LearnerSignals) -> list[str]:
    return [f.code for f in flag_learner(signals, NOW)]


def test_a_learner_doing_fine_has_no_flags() -> None:
    assert flag_learner(_signals(), NOW) == []


def test_no_pathway_is_the_only_flag() -> None:
    assert _codes(_signals(has_pathway=False, at_risk_goals=["3.NF.A.1"])) == ["no_pathway"]


def test_stalled_mastery_after_the_stall_window() -> None:
    old = NOW - timedelta(days=STALL_DAYS + 3)
    stalled = _signals(current_since=old, skills=[SkillSignal("3.NF.A.1", 0.5, False, 1, old)])
    flags = flag_learner(stalled, NOW)
    assert [f.code for f in flags] == ["stalled_mastery"]
    assert f"{STALL_DAYS + 3} days on 3.NF.A.1" in flags[0].detail
    # A recent change on any skill, or a step opened recently, is not a stall.
    recent = SkillSignal("2.NF.A.1", 0.9, True, 2, NOW - timedelta(days=2))
    assert (
        _codes(
            _signals(
                current_since=old, skills=[SkillSignal("3.NF.A.1", 0.5, False, 1, old), recent]
            )
        )
        == []
    )
    assert _codes(_signals(current_since=NOW - timedelta(days=1), skills=[])) == []
    assert _codes(_signals(current_skill=None, current_since=None, skills=[])) == []


def test_behind_pace_names_the_goals() -> None:
    flags = flag_learner(_signals(at_risk_goals=["3.NF.A.1", "3.NF.A.2"]), NOW)
    assert [f.code for f in flags] == ["behind_pace"]
    assert "3.NF.A.1, 3.NF.A.2" in flags[0].detail


def test_repeated_failed_checks_on_the_weakest_skill() -> None:
    skills = [
        SkillSignal("3.NF.A.1", 0.3, False, FAILED_CHECKS, NOW),
        SkillSignal("3.NF.A.2", 0.2, False, FAILED_CHECKS + 2, NOW),
        SkillSignal("3.OA.A.1", 0.1, True, 9, NOW),
    ]
    flags = flag_learner(_signals(skills=skills), NOW)
    assert [f.code for f in flags] == ["repeated_failed_checks"]
    assert flags[0].detail.startswith(f"{FAILED_CHECKS + 2} scored answers on 3.NF.A.2")
    # Below the count of checks, or a mid estimate off the current step, is no flag.
    few = [SkillSignal("3.NF.A.2", 0.2, False, FAILED_CHECKS - 1, NOW)]
    assert _codes(_signals(skills=few)) == []
    mid = [SkillSignal("2.NF.A.1", 0.5, False, FAILED_CHECKS, NOW)]
    assert _codes(_signals(skills=mid)) == []
    # On the current step, many checks without mastery are flagged even at a mid estimate.
    current = [SkillSignal("3.NF.A.1", 0.55, False, FAILED_CHECKS, NOW)]
    assert _codes(_signals(skills=current)) == ["repeated_failed_checks"]


def test_accommodation_not_applied_names_the_missing_features() -> None:
    flags = flag_learner(_signals(missing_features=["large_print", "text_to_speech"]), NOW)
    assert [(f.code, f.detail) for f in flags] == [
        ("accommodation_not_applied", "the chosen activity lacks large_print, text_to_speech")
    ]


def test_several_flags_at_once_in_a_stable_order() -> None:
    old = NOW - timedelta(days=STALL_DAYS + 1)
    signals = _signals(
        current_since=old,
        skills=[SkillSignal("3.NF.A.1", 0.1, False, FAILED_CHECKS, old)],
        at_risk_goals=["3.NF.A.2"],
        missing_features=["captions"],
    )
    assert _codes(signals) == [
        "stalled_mastery", "behind_pace", "repeated_failed_checks", "accommodation_not_applied",
    ]  # fmt: skip


@pytest.mark.parametrize("days", [STALL_DAYS - 1, STALL_DAYS])
def test_no_stall_within_the_window(days: int) -> None:
    since = NOW - timedelta(days=days)
    assert _codes(_signals(current_since=since, skills=[])) == []
