"""Derived data shown to a viewer never tells a profile part hidden from them (pure rules)."""

from hypothesis import given
from hypothesis import strategies as st

from pathwise_pathways.domain.disclosure import visible_board, visible_flags, visible_reasons
from pathwise_pathways.domain.ranking import ActivityCard, LearnerFit, score_card

PARTS = ("preferred_formats", "interests", "languages", "accommodations", "goals", "notes")

CARD = ActivityCard(
    id="a1",
    title="Fractions in space",
    format="video",
    difficulty=2,
    minutes=20,
    languages=("en", "es"),
    accessibility=frozenset({"captions"}),
    interest_tags=frozenset({"space"}),
)
LEARNER = LearnerFit(
    interests=frozenset({"space"}),
    preferred_formats=("video",),
    languages=("es", "en"),
    english_learner=True,
    needs=frozenset({"captions", "large_print"}),
)


def _stored(hidden: frozenset[str]) -> dict[str, object]:
    entry = score_card(CARD, LEARNER, 0.3)
    board = [
        {
            "activity_id": entry.activity_id,
            "title": entry.title,
            "format": entry.format,
            "minutes": entry.minutes,
            "score": entry.score,
            "reasons": [
                {"text": r.text, "part": r.part, "points": r.points} for r in entry.reasons
            ],
        }
    ]
    return visible_board(board, hidden)[0]


def test_every_reason_names_its_part_and_the_points_add_up() -> None:
    entry = score_card(CARD, LEARNER, 0.3)
    parts = {r.text: r.part for r in entry.reasons}
    assert parts["video preferred"] == "preferred_formats"
    assert parts["matches interest: space"] == "interests"
    assert parts["in Spanish"] == "languages"
    assert parts["has captions"] == parts["lacks large print"] == "accommodations"
    assert parts["difficulty 2 fits current mastery"] is None
    assert entry.score == round(sum(r.points for r in entry.reasons), 2)


def test_hidden_accommodations_leave_no_reason_and_no_points() -> None:
    shown = _stored(frozenset({"accommodations"}))
    assert not any("captions" in r or "large print" in r for r in shown["reasons"])  # type: ignore[attr-defined]
    # +2 for captions, -3 for lacking large print are gone from the score shown.
    assert shown["score"] == round(_stored(frozenset())["score"] - (2 - 3), 2)  # type: ignore[operator]


@given(st.frozensets(st.sampled_from(PARTS)))
def test_nothing_shown_comes_from_a_hidden_part(hidden: frozenset[str]) -> None:
    entry = score_card(CARD, LEARNER, 0.3)
    by_text = {r.text: r for r in entry.reasons}
    shown = _stored(hidden)
    assert all(by_text[text].part not in hidden for text in shown["reasons"])  # type: ignore[attr-defined]
    kept = [r for r in entry.reasons if r.part not in hidden]
    assert [r.text for r in kept] == shown["reasons"]
    assert shown["score"] == round(sum(r.points for r in kept), 2)


def test_legacy_string_reasons_are_shown_only_when_nothing_is_hidden() -> None:
    assert visible_reasons(["has large print"], frozenset()) == (["has large print"], 0.0)
    assert visible_reasons(["has large print"], frozenset({"interests"})) == ([], 0.0)


def test_flags_telling_a_hidden_part_are_withheld() -> None:
    flags = [
        {"code": "accommodation_not_applied", "detail": "the chosen activity lacks large print"},
        {"code": "behind_pace", "detail": "at risk of missing goal 3.NF.A.1"},
        {"code": "stalled_mastery", "detail": "no mastery change for 20 days on 3.NF.A.1"},
    ]
    assert visible_flags(flags, frozenset()) == flags
    assert [f["code"] for f in visible_flags(flags, {"accommodations"})] == [
        "behind_pace",
        "stalled_mastery",
    ]
    assert [f["code"] for f in visible_flags(flags, {"goals", "accommodations"})] == [
        "stalled_mastery"
    ]
