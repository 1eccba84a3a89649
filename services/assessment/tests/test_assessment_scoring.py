"""Scoring of every item type, pure."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from pathwise_assessment.domain.items import ItemSpec, public_spec
from pathwise_assessment.domain.scoring import AnswerError, parse_number, rubric_score, score

SPEC: TypeAdapter[object] = TypeAdapter(ItemSpec)
CHOICES = [
    {"id": "a", "text": "1"},
    {"id": "b", "text": "2"},
    {"id": "c", "text": "3"},
    {"id": "d", "text": "4"},
]


def test_single_choice() -> None:
    spec = {"type": "single_choice", "choices": CHOICES, "correct": "b"}
    assert score(spec, {"choice": "b"}, 2).earned == 2
    wrong = score(spec, {"choice": "a"}, 2)
    assert wrong.earned == 0 and wrong.correct is False
    with pytest.raises(AnswerError):
        score(spec, {"choice": "z"}, 2)
    with pytest.raises(AnswerError):
        score(spec, {"choices": ["a"]}, 2)


def test_multiple_select_partial_credit() -> None:
    spec = {"type": "multiple_select", "choices": CHOICES, "correct": ["a", "b", "c"]}
    assert score(spec, {"choices": ["a", "b", "c"]}, 3).earned == 3
    two = score(spec, {"choices": ["a", "b"]}, 3)
    assert two.earned == 2 and two.correct is False  # 2/3 < 0.8
    assert (
        score(spec, {"choices": ["a", "b", "d"]}, 3).earned == 1
    )  # one wrong pick cancels one right
    assert score(spec, {"choices": ["a", "b", "c", "d"]}, 3).earned == 2
    assert score(spec, {"choices": ["d"]}, 3).earned == 0  # never negative
    with pytest.raises(AnswerError):
        score(spec, {"choices": ["a", "a"]}, 3)


def test_numeric_tolerance_units_and_fractions() -> None:
    spec = {
        "type": "numeric",
        "value": 4,
        "tolerance": 0.01,
        "unit": "m",
        "unit_conversions": {"cm": 0.01},
    }
    assert score(spec, {"value": 4.005}, 1).correct
    assert not score(spec, {"value": 4.02}, 1).correct
    assert score(spec, {"value": "400", "unit": "cm"}, 1).correct
    assert score(spec, {"value": 4, "unit": "M"}, 1).correct
    refused = score(spec, {"value": 4, "unit": "kg"}, 1)
    assert not refused.correct and refused.feedback
    strict = {**spec, "require_unit": True}
    assert not score(strict, {"value": 4}, 1).correct
    frac = {"type": "numeric", "value": 0.375, "tolerance": 0.001}
    for given_value in ("3/8", " 3 / 8 ", 0.375, "0.375", "6/16"):
        assert score(frac, {"value": given_value}, 1).correct, given_value
    assert parse_number("1 1/2") == 1.5 and parse_number("-1 1/2") == -1.5
    assert parse_number("1,000") == 1000 and parse_number("−2") == -2
    for bad in ("abc", "1/0", "nan", "inf"):
        with pytest.raises(AnswerError):
            parse_number(bad)


def test_short_text_normalization_and_pattern() -> None:
    spec = {"type": "short_text", "accepted": ["Denominator"], "pattern": r"7\s*[x*]\s*2"}
    assert (
        score(spec, {"text": "  the  DENOMINATOR. "}, 1).correct is False
    )  # "the" is not accepted
    assert score(spec, {"text": "denominator!"}, 1).correct
    assert score(spec, {"text": "７ X 2"}, 1).correct  # full-width digit, NFKC
    assert not score(spec, {"text": "numerator"}, 1).correct
    with pytest.raises(AnswerError):
        score(spec, {"text": "x" * 501}, 1)


def test_ordering_exact_and_pairwise_partial_credit() -> None:
    spec = {"type": "ordering", "entries": CHOICES[:3], "order": ["c", "a", "b"]}
    assert score(spec, {"order": ["c", "a", "b"]}, 3).earned == 3
    assert score(spec, {"order": ["a", "c", "b"]}, 3).earned == 2  # 2 of 3 pairs in order
    assert score(spec, {"order": ["b", "a", "c"]}, 3).earned == 0
    assert score({**spec, "partial_credit": False}, {"order": ["a", "c", "b"]}, 3).earned == 0
    with pytest.raises(AnswerError):
        score(spec, {"order": ["a", "b"]}, 3)


def test_open_response_waits_for_rubric() -> None:
    spec = {
        "type": "open_response",
        "rubric": [
            {"id": "idea", "description": "d", "points": 2},
            {"id": "work", "description": "d", "points": 2},
        ],
    }
    assert score(spec, {"text": "because"}, 4).status == "pending"
    assert rubric_score(spec, {"idea": 2, "work": 2}, 4).earned == 4
    assert not rubric_score(spec, {"idea": 2, "work": 1}, 4).correct  # 75 %
    for bad in ({"idea": 3, "work": 0}, {"idea": 1}, {"idea": 1, "work": 1, "style": 1}):
        with pytest.raises(AnswerError):
            rubric_score(spec, bad, 4)


def test_specs_validate_their_keys() -> None:
    for bad in (
        {"type": "single_choice", "choices": CHOICES, "correct": "z"},
        {"type": "multiple_select", "choices": CHOICES, "correct": ["a", "a"]},
        {"type": "ordering", "entries": CHOICES, "order": ["a", "b"]},
        {"type": "short_text", "accepted": []},
        {"type": "short_text", "pattern": "("},
        {"type": "numeric", "value": 1, "require_unit": True},
        {
            "type": "single_choice",
            "choices": [*CHOICES, {"id": "a", "text": "dup"}],
            "correct": "a",
        },
    ):
        with pytest.raises(ValidationError):
            SPEC.validate_python(bad)


def test_public_spec_hides_every_key() -> None:
    specs: list[dict[str, object]] = [
        {"type": "single_choice", "choices": CHOICES, "correct": "b", "explanation": "x"},
        {"type": "multiple_select", "choices": CHOICES, "correct": ["b"]},
        {"type": "numeric", "value": 3, "tolerance": 0.1, "unit": "m"},
        {"type": "short_text", "accepted": ["x"], "pattern": "x"},
        {"type": "ordering", "entries": CHOICES[:2], "order": ["b", "a"]},
    ]
    for spec in specs:
        shown = public_spec(spec)
        assert not {
            "correct",
            "value",
            "tolerance",
            "accepted",
            "pattern",
            "order",
            "explanation",
        } & set(shown)
    assert public_spec(specs[2])["unit"] == "m"


@given(st.lists(st.sampled_from("abcd"), unique=True, max_size=4))
def test_multiple_select_credit_stays_in_range(chosen: list[str]) -> None:
    spec = {"type": "multiple_select", "choices": CHOICES, "correct": ["a", "c"]}
    result = score(spec, {"choices": chosen}, 5)
    assert 0 <= result.earned <= 5
