"""Scoring a response against an item: pure functions, one per item type.

:func:`parse_answer` checks the answer's shape for the item type (wrong shape -> :class:`AnswerError`,
which the API turns into a 422), :func:`score` turns a valid answer into points. A response counts
as *correct* for mastery when it earns at least :data:`CORRECT_FRACTION` of the item's points.
"""

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from pathwise_assessment.domain.items import (
    MultipleSelectSpec,
    NumericSpec,
    OpenResponseSpec,
    OrderingSpec,
    ShortTextSpec,
    SingleChoiceSpec,
)

__all__ = [
    "CORRECT_FRACTION",
    "AnswerError",
    "Score",
    "guess_chance",
    "normalize_text",
    "parse_answer",
    "parse_number",
    "rubric_correct",
    "rubric_score",
    "score",
]

# Full credit on single-answer items; 80 % on partial-credit ones (e.g. 4 of 5 selections).
CORRECT_FRACTION = 0.8
_TRAILING_PUNCTUATION = ".,;:!?"
_MIXED = re.compile(r"^([+-]?\d+)\s+(\d+)\s*/\s*(\d+)$")


class AnswerError(ValueError):
    """The answer does not have the shape the item type needs."""

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SingleChoiceAnswer(_Answer):
    choice: str = Field(min_length=1, max_length=40)


class MultipleSelectAnswer(_Answer):
    choices: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(max_length=12)


class NumericAnswer(_Answer):
    value: float | Annotated[str, Field(min_length=1, max_length=40)]
    unit: str | None = Field(None, max_length=20)


class TextAnswer(_Answer):
    text: str = Field(max_length=500)


class OrderingAnswer(_Answer):
    order: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(max_length=12)


class OpenAnswer(_Answer):
    text: str = Field(min_length=1, max_length=10_000)


_ANSWERS: dict[str, TypeAdapter[Any]] = {
    "single_choice": TypeAdapter(SingleChoiceAnswer),
    "multiple_select": TypeAdapter(MultipleSelectAnswer),
    "numeric": TypeAdapter(NumericAnswer),
    "short_text": TypeAdapter(TextAnswer),
    "ordering": TypeAdapter(OrderingAnswer),
    "open_response": TypeAdapter(OpenAnswer),
}


@dataclass(frozen=True)
class Score:
    status: Literal["scored", "pending"]
    earned: float
    possible: float
    correct: bool | None
    feedback: str | None = None

    @property
    def fraction(self) -> float:
        return self.earned / self.possible if self.possible else 0.0


def parse_number(raw: float | str) -> float:
    """A number as a student types it: ``3``, ``-2.5``, ``3/4``, ``1 1/2``, ``1,000``."""
    if isinstance(raw, float | int):
        if not math.isfinite(raw):
            raise AnswerError("The answer must be a finite number.")
        return float(raw)
    text = raw.strip().replace(",", "").replace("\u2212", "-")
    mixed = _MIXED.match(text)
    try:
        if mixed:
            whole, num, den = (int(g) for g in mixed.groups())
            frac = Fraction(num, den)
            return float(whole - frac if whole < 0 or text.startswith("-") else whole + frac)
        value = float(Fraction(text.replace(" ", "")))
    except (ValueError, ZeroDivisionError) as exc:
        raise AnswerError(f"{raw!r} is not a number.") from exc
    if not math.isfinite(value):
        raise AnswerError("The answer must be a finite number.")
    return value


def normalize_text(text: str, *, case_sensitive: bool = False) -> str:
    value = " ".join(unicodedata.normalize("NFKC", text).split()).rstrip(_TRAILING_PUNCTUATION)
    return value.strip() if case_sensitive else value.strip().casefold()


def parse_answer(spec: dict[str, Any], answer: Any) -> BaseModel:
    """Validate the answer's shape against the item type and its options."""
    item_type = str(spec.get("type"))
    adapter = _ANSWERS.get(item_type)
    if adapter is None:
        raise AnswerError(f"Unknown item type {item_type!r}.")
    try:
        parsed: BaseModel = adapter.validate_python(answer)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in ("answer", *err["loc"])),
                "message": err["msg"],
                "type": err["type"],
            }
            for err in exc.errors()
        ]
        raise AnswerError(f"The answer does not fit a {item_type} item.", errors) from None
    options = {c["id"] for c in spec.get("choices", spec.get("entries", []))}
    if isinstance(parsed, SingleChoiceAnswer) and parsed.choice not in options:
        raise AnswerError(f"{parsed.choice!r} is not one of the item's choices.")
    if isinstance(parsed, MultipleSelectAnswer) and (
        len(set(parsed.choices)) != len(parsed.choices) or not set(parsed.choices) <= options
    ):
        raise AnswerError("choices must be distinct ids of the item's choices.")
    if isinstance(parsed, OrderingAnswer) and sorted(parsed.order) != sorted(options):
        raise AnswerError("order must list every entry id of the item exactly once.")
    if isinstance(parsed, NumericAnswer):
        parse_number(parsed.value)
    return parsed


def score(spec: dict[str, Any], answer: Any, points: float) -> Score:
    """Score a (shape-checked or raw) answer; open responses stay pending for a teacher."""
    parsed = parse_answer(spec, answer)
    item_type = spec["type"]
    if item_type == "open_response":
        return Score("pending", 0.0, points, None)
    fraction, feedback = _FRACTIONS[item_type](spec, parsed)
    fraction = min(1.0, max(0.0, fraction))
    earned = round(points * fraction, 4)
    return Score("scored", earned, points, fraction >= CORRECT_FRACTION - 1e-9, feedback)


def _single(spec: dict[str, Any], answer: Any) -> tuple[float, str | None]:
    key = SingleChoiceSpec.model_validate(spec)
    return (1.0 if answer.choice == key.correct else 0.0), None


def _multiple(spec: dict[str, Any], answer: Any) -> tuple[float, str | None]:
    # Partial credit: right picks minus wrong picks, over the number of right options, so
    # selecting everything earns nothing.
    key = MultipleSelectSpec.model_validate(spec)
    correct = set(key.correct)
    chosen = set(answer.choices)
    return (len(chosen & correct) - len(chosen - correct)) / len(correct), None


def _numeric(spec: dict[str, Any], answer: Any) -> tuple[float, str | None]:
    key = NumericSpec.model_validate(spec)
    value = parse_number(answer.value)
    unit = (answer.unit or "").strip()
    if key.unit is not None:
        if not unit:
            if key.require_unit:
                return 0.0, f"Give the unit ({key.unit})."
        elif unit.casefold() != key.unit.casefold():
            factors = {u.casefold(): f for u, f in key.unit_conversions.items()}
            factor = factors.get(unit.casefold())
            if factor is None:
                return 0.0, f"{unit!r} is not a unit this answer can be given in."
            value *= factor
    # A hair of slack so 0.1 + 0.2 style binary rounding never fails an exact answer.
    slack = key.tolerance + 1e-9 * max(1.0, abs(key.value))
    return (1.0 if abs(value - key.value) <= slack else 0.0), None


def _text(spec: dict[str, Any], answer: Any) -> tuple[float, str | None]:
    key = ShortTextSpec.model_validate(spec)
    given = normalize_text(answer.text, case_sensitive=key.case_sensitive)
    accepted = {normalize_text(a, case_sensitive=key.case_sensitive) for a in key.accepted}
    if given in accepted:
        return 1.0, None
    if key.pattern is not None:
        flags = 0 if key.case_sensitive else re.IGNORECASE
        if re.fullmatch(key.pattern, given, flags):
            return 1.0, None
    return 0.0, None


def _ordering(spec: dict[str, Any], answer: Any) -> tuple[float, str | None]:
    key = OrderingSpec.model_validate(spec)
    if answer.order == key.order:
        return 1.0, None
    if not key.partial_credit:
        return 0.0, None
    rank = {entry: i for i, entry in enumerate(answer.order)}
    pairs = [(a, b) for i, a in enumerate(key.order) for b in key.order[i + 1 :]]
    return sum(rank[a] < rank[b] for a, b in pairs) / len(pairs), None


_FRACTIONS = {
    "single_choice": _single,
    "multiple_select": _multiple,
    "numeric": _numeric,
    "short_text": _text,
    "ordering": _ordering,
}


def rubric_score(spec: dict[str, Any], criteria: Mapping[str, float], points: float) -> Score:
    """A teacher's rubric marks (criterion id -> points) as a score on the item's scale."""
    rubric = OpenResponseSpec.model_validate(spec)
    by_id = {c.id: c for c in rubric.rubric}
    unknown = sorted(set(criteria) - set(by_id))
    if unknown:
        raise AnswerError(f"Unknown rubric criteria: {', '.join(unknown)}.")
    missing = sorted(set(by_id) - set(criteria))
    if missing:
        raise AnswerError(f"Every rubric criterion needs a mark; missing: {', '.join(missing)}.")
    for cid, given in criteria.items():
        if not 0 <= given <= by_id[cid].points:
            raise AnswerError(f"{cid}: give between 0 and {by_id[cid].points} points.")
    fraction = sum(criteria.values()) / rubric.max_points
    return Score("scored", round(points * fraction, 4), points, rubric_correct(fraction))


def rubric_correct(fraction: float) -> bool:
    """Whether a rubric's share of the points counts as a right answer for mastery: the one rule
    of an item's rubric score and of evidence scored elsewhere (pathways' step evidence)."""
    return fraction >= CORRECT_FRACTION - 1e-9


def guess_chance(spec: Mapping[str, Any]) -> float:
    """The chance that a blind answer scores as *correct*: a uniformly random option of a
    single-choice item, non-empty selection of a multiple-select item, or order of an ordering
    item. The mastery model's guess floor (``domain.mastery.ItemEvidence.guess_floor``): however
    hard the item, a learner who does not know the skill gets a 4-option item right 1 time in 4.
    Answers typed in (numeric, short text) and teacher-scored ones have no such floor: 0."""
    item_type = spec.get("type")
    if item_type == "single_choice":
        return 1.0 / len(spec["choices"])
    if item_type == "multiple_select":
        n, c = len(spec["choices"]), len(set(spec["correct"]))
        # Selections with ``right`` right and ``wrong`` wrong options, scored as in _multiple.
        hits = sum(
            math.comb(c, right) * math.comb(n - c, wrong)
            for right in range(c + 1)
            for wrong in range(n - c + 1)
            if (right - wrong) / c >= CORRECT_FRACTION - 1e-9
        )
        return hits / ((1 << n) - 1)  # every non-empty selection
    if item_type == "ordering":
        n = len(spec["order"])
        if not spec.get("partial_credit", True):
            return 1.0 / math.factorial(n)
        # Orders by their number of inversions (Mahonian numbers); an order with ``inv``
        # inversions earns 1 - inv / pairs of the points (_ordering).
        pairs = n * (n - 1) // 2
        counts = [1]  # counts[inv]: orders of the first k entries with inv inversions
        for k in range(2, n + 1):
            # The k-th entry, placed j positions from the end, adds j inversions.
            grown = [0] * (len(counts) + k - 1)
            for inv, m in enumerate(counts):
                for j in range(k):
                    grown[inv + j] += m
            counts = grown
        hits = sum(m for inv, m in enumerate(counts) if 1 - inv / pairs >= CORRECT_FRACTION - 1e-9)
        return hits / math.factorial(n)
    return 0.0
