"""Item specifications per type: what an author writes, what a student may see, and the key.

An item's ``spec`` is one of the models below (discriminated by ``type``). :func:`public_spec`
drops the answer key so nothing that reveals it reaches a student before the attempt is finished.
"""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "KEY_FIELDS",
    "Choice",
    "ItemSpec",
    "ItemType",
    "MultipleSelectSpec",
    "NumericSpec",
    "OpenResponseSpec",
    "OrderingSpec",
    "RubricCriterion",
    "ShortTextSpec",
    "SingleChoiceSpec",
    "public_spec",
]

ItemType = Literal[
    "single_choice", "multiple_select", "numeric", "short_text", "ordering", "open_response"
]
OptionId = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True)]

# Fields of a spec that reveal the answer: removed from every student view before finish.
KEY_FIELDS: dict[str, frozenset[str]] = {
    "single_choice": frozenset({"correct", "explanation"}),
    "multiple_select": frozenset({"correct", "explanation"}),
    "numeric": frozenset({"value", "tolerance", "unit_conversions", "explanation"}),
    "short_text": frozenset({"accepted", "pattern", "explanation"}),
    "ordering": frozenset({"order", "explanation"}),
    "open_response": frozenset({"exemplar", "explanation"}),
}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    explanation: str | None = Field(None, max_length=2000)


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: OptionId
    text: str = Field(min_length=1, max_length=1000)


def _unique_ids(choices: list[Choice]) -> set[str]:
    ids = {c.id for c in choices}
    if len(ids) != len(choices):
        raise ValueError("option ids must be unique")
    return ids


class SingleChoiceSpec(_Spec):
    type: Literal["single_choice"]
    choices: list[Choice] = Field(min_length=2, max_length=10)
    correct: OptionId

    @model_validator(mode="after")
    def _key_is_an_option(self) -> Self:
        if self.correct not in _unique_ids(self.choices):
            raise ValueError("correct must be one of the choice ids")
        return self


class MultipleSelectSpec(_Spec):
    type: Literal["multiple_select"]
    choices: list[Choice] = Field(min_length=2, max_length=12)
    correct: list[OptionId] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _keys_are_options(self) -> Self:
        ids = _unique_ids(self.choices)
        if len(set(self.correct)) != len(self.correct) or not set(self.correct) <= ids:
            raise ValueError("correct must be distinct choice ids")
        return self


class NumericSpec(_Spec):
    """``value`` ± ``tolerance`` (absolute) in ``unit``; answers in another unit of
    ``unit_conversions`` are converted (``{"cm": 0.01}`` when ``unit`` is ``m``)."""

    type: Literal["numeric"]
    value: float = Field(allow_inf_nan=False)
    tolerance: float = Field(0.0, ge=0, allow_inf_nan=False)
    unit: Unit | None = None
    require_unit: bool = False
    unit_conversions: dict[Unit, float] = Field(default_factory=dict, max_length=10)

    @model_validator(mode="after")
    def _units_make_sense(self) -> Self:
        if (self.require_unit or self.unit_conversions) and self.unit is None:
            raise ValueError("require_unit and unit_conversions need a unit")
        if any(f <= 0 for f in self.unit_conversions.values()):
            raise ValueError("unit conversion factors must be positive")
        return self


class ShortTextSpec(_Spec):
    """Matched after normalization (Unicode NFKC, case fold, spaces collapsed, trailing
    punctuation dropped) against ``accepted``, or by ``pattern`` (a full match)."""

    type: Literal["short_text"]
    accepted: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    pattern: str | None = Field(None, min_length=1, max_length=200)
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _something_to_match(self) -> Self:
        import re

        if not self.accepted and self.pattern is None:
            raise ValueError("give accepted answers or a pattern")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
        return self


class OrderingSpec(_Spec):
    """Entries are shown in the author's order (write them shuffled); ``order`` is the key.
    With ``partial_credit`` an answer earns the share of entry pairs it puts in the right order."""

    type: Literal["ordering"]
    entries: list[Choice] = Field(min_length=2, max_length=12)
    order: list[OptionId] = Field(min_length=2, max_length=12)
    partial_credit: bool = True

    @model_validator(mode="after")
    def _order_is_a_permutation(self) -> Self:
        ids = _unique_ids(self.entries)
        if sorted(self.order) != sorted(ids):
            raise ValueError("order must list every entry id exactly once")
        return self


class RubricCriterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: OptionId
    description: str = Field(min_length=1, max_length=1000)
    points: float = Field(gt=0, le=100)


class OpenResponseSpec(_Spec):
    """Scored later by a teacher, criterion by criterion; the criteria points sum to the item's points."""

    type: Literal["open_response"]
    rubric: list[RubricCriterion] = Field(min_length=1, max_length=10)
    exemplar: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _unique_criteria(self) -> Self:
        if len({c.id for c in self.rubric}) != len(self.rubric):
            raise ValueError("rubric criterion ids must be unique")
        return self

    @property
    def max_points(self) -> float:
        return sum(c.points for c in self.rubric)


ItemSpec = Annotated[
    SingleChoiceSpec
    | MultipleSelectSpec
    | NumericSpec
    | ShortTextSpec
    | OrderingSpec
    | OpenResponseSpec,
    Field(discriminator="type"),
]


def public_spec(spec: dict[str, object]) -> dict[str, object]:
    """The spec without anything that gives the answer away."""
    hidden = KEY_FIELDS.get(str(spec.get("type")), frozenset())
    return {k: v for k, v in spec.items() if k not in hidden}
