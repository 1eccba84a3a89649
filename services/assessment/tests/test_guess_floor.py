"""The guess floor (issue 14): an item whose answer can be picked blind is guessed at least that
often, however hard it is. ``guess_chance`` is checked against the scorer itself (every blind
answer scored), the model's item guess against the floor, and the evidence floor against it."""

import itertools
import uuid
from typing import Any

import pytest

from pathwise_assessment.domain.mastery import (
    INFORMATIVE_GUESS_MAX,
    ItemEvidence,
    MasteryState,
    apply_item_response,
    is_informative,
    item_guess_slip,
    skill_model,
)
from pathwise_assessment.domain.rows import VersionRow
from pathwise_assessment.domain.scoring import guess_chance, score
from pathwise_assessment.service.mastery import item_evidence

DEFAULT = {"A": skill_model(), "B": skill_model()}


def _options(n: int) -> list[dict[str, str]]:
    return [{"id": f"o{k}", "text": f"option {k}"} for k in range(n)]


def _share_correct(spec: dict[str, Any], answers: list[dict[str, Any]]) -> float:
    return sum(bool(score(spec, a, 1.0).correct) for a in answers) / len(answers)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 10])
def test_single_choice_is_guessed_one_time_in_k(k: int) -> None:
    spec: dict[str, Any] = {"type": "single_choice", "choices": _options(k), "correct": "o1"}
    blind = [{"choice": c["id"]} for c in spec["choices"]]
    assert guess_chance(spec) == pytest.approx(_share_correct(spec, blind)) == pytest.approx(1 / k)


@pytest.mark.parametrize(("n", "c"), [(3, 1), (4, 2), (5, 4), (6, 5), (6, 1)])
def test_multiple_select_floor_is_the_share_of_blind_selections_scored_correct(
    n: int, c: int
) -> None:
    spec: dict[str, Any] = {
        "type": "multiple_select",
        "choices": _options(n),
        "correct": [f"o{k}" for k in range(c)],
    }
    ids = [o["id"] for o in spec["choices"]]
    blind = [
        {"choices": list(chosen)}
        for size in range(1, n + 1)
        for chosen in itertools.combinations(ids, size)
    ]
    assert guess_chance(spec) == pytest.approx(_share_correct(spec, blind))
    if c <= 4:  # partial credit below 80 % of the points: only the exact selection is correct
        assert guess_chance(spec) == pytest.approx(1 / (2**n - 1))


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
@pytest.mark.parametrize("partial", [True, False])
def test_ordering_floor_is_the_share_of_blind_orders_scored_correct(n: int, partial: bool) -> None:
    spec: dict[str, Any] = {
        "type": "ordering",
        "entries": _options(n),
        "order": [f"o{k}" for k in range(n)],
        "partial_credit": partial,
    }
    blind = [{"order": list(p)} for p in itertools.permutations(spec["order"])]
    assert guess_chance(spec) == pytest.approx(_share_correct(spec, blind))


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "numeric", "value": 56.0},
        {"type": "short_text", "accepted": ["three fourths"]},
        {"type": "open_response"},
    ],
)
def test_typed_and_teacher_scored_answers_have_no_floor(spec: dict[str, Any]) -> None:
    assert guess_chance(spec) == 0.0


def test_hard_choice_item_is_guessed_at_its_floor_easy_ones_above_it() -> None:
    hard_open = ItemEvidence(("A",), 2.0)
    hard_choice = ItemEvidence(("A",), 2.0, guess_floor=0.25)
    assert item_guess_slip(hard_open, DEFAULT)[0] < 0.25
    guess, slip = item_guess_slip(hard_choice, DEFAULT)
    assert guess == pytest.approx(0.25)
    assert slip == item_guess_slip(hard_open, DEFAULT)[1]  # the floor is about guessing only
    # An easy item is guessed more often than its floor: the floor changes nothing.
    easy = ItemEvidence(("A",), -2.0)
    assert item_guess_slip(ItemEvidence(("A",), -2.0, guess_floor=0.25), DEFAULT) == (
        item_guess_slip(easy, DEFAULT)
    )
    # A multi-skill item has one chance to be guessed: the floor holds for the item.
    assert item_guess_slip(ItemEvidence(("A", "B"), 2.0, guess_floor=1 / 3), DEFAULT)[0] == (
        pytest.approx(1 / 3)
    )
    # A two-option item stays inside the model's bounds (guess below 0.5).
    assert item_guess_slip(ItemEvidence(("A",), 2.0, guess_floor=0.5), DEFAULT)[0] < 0.5


def test_right_answer_to_a_hard_choice_item_is_weaker_evidence() -> None:
    open_after = apply_item_response({}, ItemEvidence(("A",), 2.0), True, DEFAULT)["A"]
    choice_after = apply_item_response(
        {}, ItemEvidence(("A",), 2.0, guess_floor=0.25), True, DEFAULT
    )["A"]
    assert choice_after.p_known < open_after.p_known
    assert choice_after.evidence_weight < open_after.evidence_weight


def test_easily_guessed_choice_items_never_unlock_mastery() -> None:
    three_options = ItemEvidence(("A",), 2.0, guess_floor=1 / 3)
    assert not is_informative(three_options, DEFAULT)
    assert is_informative(ItemEvidence(("A",), 2.0), DEFAULT)
    # The bar is one in four: a four-option item is informative only if it is hard.
    assert is_informative(ItemEvidence(("A",), 2.0, guess_floor=0.25), DEFAULT)
    assert item_guess_slip(ItemEvidence(("A",), 2.0, guess_floor=0.26), DEFAULT)[0] > (
        INFORMATIVE_GUESS_MAX
    )
    states: dict[str, MasteryState] = {}
    for _ in range(40):
        states = apply_item_response(states, three_options, True, DEFAULT)
    assert states["A"].p_known > 0.95 and not states["A"].mastered
    assert states["A"].evidence_weight == 0.0
    # The same run on hard items answered by typing masters.
    states = {}
    for _ in range(40):
        states = apply_item_response(states, ItemEvidence(("A",), 2.0), True, DEFAULT)
    assert states["A"].mastered


def test_guess_floor_is_a_probability_below_one() -> None:
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="guess_floor"):
            ItemEvidence(("A",), 0.0, guess_floor=bad)


def test_service_takes_the_floor_from_the_pinned_version() -> None:
    def version(kind: str, spec: dict[str, Any]) -> VersionRow:
        return VersionRow(
            uuid.uuid4(), uuid.uuid4(), 1, kind, "stem", ["A"], 1.0, 1.5, 1.2,
            {"type": kind, **spec},
        )  # fmt: skip

    four = item_evidence(version("single_choice", {"choices": _options(4), "correct": "o0"}))
    assert (four.guess_floor, four.difficulty, four.discrimination) == (0.25, 1.5, 1.2)
    assert item_evidence(version("numeric", {"value": 3.0})).guess_floor == 0.0
    select = {"choices": _options(3), "correct": ["o0"]}
    assert item_evidence(version("multiple_select", select)).guess_floor == pytest.approx(1 / 7)
