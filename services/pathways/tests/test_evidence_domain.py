"""Step evidence rules without a database: the format → artifact kind mapping, a format for a
submitted kind, rubric validation and rubric levels → fraction."""

import pytest
from pydantic import ValidationError

from pathwise_pathways.domain import evidence as rules
from pathwise_pathways.domain.portfolio import KINDS
from pathwise_shared.problems import PreconditionFailed, PreconditionRequired, Problem


def rubric() -> rules.Rubric:
    levels = [
        {"id": "beginning", "description": "b", "points": 0},
        {"id": "developing", "description": "d", "points": 1},
        {"id": "secure", "description": "s", "points": 2},
    ]
    return rules.Rubric.model_validate(
        {
            "criteria": [
                {"id": "ideas", "description": "The idea is right", "levels": levels},
                {
                    "id": "clarity",
                    "description": "It is explained",
                    "levels": [*levels, {"id": "exceeding", "description": "e", "points": 4}],
                },
            ]
        }
    )


def test_every_format_maps_to_portfolio_kinds() -> None:
    assert set(rules.FORMAT_KINDS) == set(rules.FORMATS)
    for kinds in rules.FORMAT_KINDS.values():
        assert kinds and set(kinds) <= set(KINDS)
    assert rules.FORMAT_KINDS["writing"] == ("text", "document")
    assert rules.FORMAT_KINDS["drawing"] == ("image",)
    assert rules.kinds_allowed(["writing", "drawing"]) == ["text", "image", "document"]
    assert rules.kinds_allowed([]) == []


def test_a_format_for_the_submitted_kind() -> None:
    assert rules.format_for("text", ["writing", "drawing"]) == "writing"
    assert rules.format_for("image", ["writing", "drawing"]) == "drawing"
    # A document is writing or a project: the learner may say which; else the first allowed.
    assert rules.format_for("document", ["project", "writing"]) == "writing"
    assert rules.format_for("document", ["project", "writing"], "project") == "project"


@pytest.mark.parametrize(
    ("kind", "allowed", "chosen"),
    [
        ("video", ["writing", "drawing"], None),
        ("text", [], None),
        ("text", ["writing"], "drawing"),  # chosen but not allowed
        ("image", ["writing", "drawing"], "writing"),  # an image is not writing
    ],
)
def test_a_kind_the_step_does_not_take_is_refused(
    kind: str, allowed: list[str], chosen: str | None
) -> None:
    with pytest.raises(Problem) as caught:
        rules.format_for(kind, allowed, chosen)
    assert caught.value.status_code == 422
    assert caught.value.type.endswith("/evidence-format-not-allowed")


def test_levels_become_a_fraction_of_the_points() -> None:
    r = rubric()
    assert r.max_points == 6
    top = rules.score_rubric(r, {"ideas": "secure", "clarity": "exceeding"})
    assert (top.points, top.max_points, top.fraction) == (6, 6, 1.0)
    mid = rules.score_rubric(r, {"ideas": "developing", "clarity": "secure"})
    assert mid.points == 3 and mid.fraction == 0.5
    low = rules.score_rubric(r, {"ideas": "beginning", "clarity": "beginning"})
    assert low.fraction == 0.0


@pytest.mark.parametrize(
    "levels",
    [
        {"ideas": "secure"},  # a criterion without a level
        {"ideas": "secure", "clarity": "secure", "style": "secure"},  # unknown criterion
        {"ideas": "great", "clarity": "secure"},  # unknown level
    ],
)
def test_a_bad_choice_of_levels_is_a_422(levels: dict[str, str]) -> None:
    with pytest.raises(Problem) as caught:
        rules.score_rubric(rubric(), levels)
    assert caught.value.status_code == 422 and caught.value.type.endswith("/invalid-rubric-score")


@pytest.mark.parametrize(
    "bad",
    [
        {"criteria": []},
        {
            "criteria": [
                {
                    "id": "a",
                    "description": "x",
                    "levels": [{"id": "l", "description": "x", "points": 1}],
                }
            ]
        },
        {
            "criteria": [
                {
                    "id": "a",
                    "description": "x",
                    "levels": [
                        {"id": "l", "description": "x", "points": 0},
                        {"id": "m", "description": "x", "points": 0},
                    ],
                }
            ]
        },
        {
            "criteria": [
                {
                    "id": "a",
                    "description": "x",
                    "levels": [
                        {"id": "l", "description": "x", "points": 0},
                        {"id": "l", "description": "x", "points": 1},
                    ],
                }
            ]
        },
    ],
)
def test_a_rubric_must_be_scoreable(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        rules.Rubric.model_validate(bad)


def test_a_rule_is_changed_with_its_etag() -> None:
    rules.require_rule_match(None, 0)  # the first rule overwrites nothing
    rules.require_rule_match(rules.rule_etag(3), 3)
    with pytest.raises(PreconditionRequired):
        rules.require_rule_match(None, 1)
    with pytest.raises(PreconditionFailed):
        rules.require_rule_match(rules.rule_etag(1), 2)
