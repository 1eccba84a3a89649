"""Survey rules without a database: which questions are valid, which answers fit, what a
consented answer changes in the profile, and the counts (in the question's order, unranked)."""

from typing import Any

from pathwise_profiles.domain.surveys import (
    Question,
    answer_errors,
    count_answers,
    profile_changes,
    question_errors,
)


def q(kind: str, options: list[str] | None = None, maps_to: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "prompt": "?", "options": options, "maps_to": maps_to}


def fields(errors: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(e["field"], e["type"]) for e in errors]


def test_valid_questions_have_no_errors() -> None:
    assert question_errors([
        q("multiple_choice", ["space", "music"], "interests"),
        q("multiple_choice", ["video", "text"], "preferred_formats"),
        q("single_choice", ["slower", "steady", "faster"], "pace"),
        q("scale"),
        q("short_text"),
    ]) == []  # fmt: skip


def test_choice_kinds_need_distinct_options_and_others_take_none() -> None:
    assert fields(question_errors([
        q("single_choice"), q("multiple_choice", ["one"]), q("single_choice", ["A", "a"]),
        q("scale", ["1"]), q("short_text", ["x", "y"]),
    ])) == [
        ("body.questions.0.options", "options_required"),
        ("body.questions.1.options", "options_required"),
        ("body.questions.2.options", "options_repeat"),
        ("body.questions.3.options", "options_not_allowed"),
        ("body.questions.4.options", "options_not_allowed"),
    ]  # fmt: skip


def test_maps_to_only_on_the_fitting_kind_with_values_the_profile_accepts() -> None:
    assert fields(question_errors([
        q("single_choice", ["space", "music"], "interests"),
        q("multiple_choice", ["video", "podcasts"], "preferred_formats"),
        q("single_choice", ["slow", "fast"], "pace"),
        q("multiple_choice", ["slower", "faster"], "pace"),
        q("scale", None, "pace"),
        q("multiple_choice", ["a" * 61, "b"], "interests"),
    ])) == [
        ("body.questions.0.maps_to", "maps_to_kind"),
        ("body.questions.1.options", "maps_to_value"),
        ("body.questions.2.options", "maps_to_value"),
        ("body.questions.3.maps_to", "maps_to_kind"),
        ("body.questions.3.maps_to", "maps_to_repeat"),
        ("body.questions.4.maps_to", "maps_to_kind"),
        ("body.questions.4.maps_to", "maps_to_repeat"),
        ("body.questions.5.options", "maps_to_value"),
        ("body.questions.5.maps_to", "maps_to_repeat"),
    ]  # fmt: skip


QUESTIONS = [
    Question("q1", "multiple_choice", "?", ("space", "music", "art"), "interests"),
    Question("q2", "multiple_choice", "?", ("video", "text", "audio"), "preferred_formats"),
    Question("q3", "single_choice", "?", ("slower", "steady", "faster"), "pace"),
    Question("q4", "scale", "?", (), None),
    Question("q5", "short_text", "?", (), None),
]


def a(qid: str, value: Any, apply: bool = False) -> dict[str, Any]:
    return {"question_id": qid, "value": value, "apply_to_profile": apply}


def test_answers_must_fit_their_question() -> None:
    good = [a("q1", ["space"], True), a("q3", "faster"), a("q4", 5), a("q5", "I like maps")]
    assert answer_errors(QUESTIONS, good) == []
    assert fields(answer_errors(QUESTIONS, [
        a("q9", 1), a("q1", ["space", "space"]), a("q1", ["poetry"]), a("q3", ["faster"]),
        a("q4", 6), a("q4", True), a("q5", "  "), a("q5", "x", True),
    ])) == [
        ("body.answers.0.question_id", "unknown_question"),
        ("body.answers.1.value", "answer_value"),
        ("body.answers.2.question_id", "answer_repeat"),
        ("body.answers.2.value", "answer_value"),
        ("body.answers.3.value", "answer_value"),
        ("body.answers.4.value", "answer_value"),
        ("body.answers.5.question_id", "answer_repeat"),
        ("body.answers.5.value", "answer_value"),
        ("body.answers.6.value", "answer_value"),
        ("body.answers.7.question_id", "answer_repeat"),
        ("body.answers.7.apply_to_profile", "nothing_to_apply"),
    ]  # fmt: skip


def test_consented_answers_speak_for_the_options_they_offered() -> None:
    current = {"interests": ["music", "cooking"], "preferred_formats": ["audio"], "pace": "steady"}
    answers = [a("q1", ["art", "space"], True), a("q2", ["video"], True), a("q3", "faster", True)]
    # Unchosen offered options leave, options not offered stay in place, chosen ones are added
    # in the question's order.
    assert profile_changes(QUESTIONS, answers, current) == {
        "interests": ["cooking", "space", "art"],
        "preferred_formats": ["video"],
        "pace": "faster",
    }


def test_answers_without_consent_change_nothing() -> None:
    current = {"interests": ["music"], "preferred_formats": [], "pace": "steady"}
    answers = [a("q1", ["space"]), a("q3", "faster"), a("q4", 3, False)]
    assert profile_changes(QUESTIONS, answers, current) == {}


def test_counts_per_option_in_the_question_order_never_ranked() -> None:
    sets = [
        [a("q1", ["art"]), a("q3", "faster"), a("q4", 2)],
        [a("q1", ["art", "space"]), a("q4", 2), a("q5", "hi")],
        [a("q3", "slower")],
    ]
    counts = count_answers(QUESTIONS, sets)
    assert list(counts["q1"]["options"].items()) == [("space", 1), ("music", 0), ("art", 2)]
    assert counts["q1"]["answered"] == 2
    assert counts["q3"]["options"] == {"slower": 1, "steady": 0, "faster": 1}
    assert counts["q4"]["options"] == {"1": 0, "2": 2, "3": 0, "4": 0, "5": 0}
    assert counts["q5"] == {"answered": 1, "options": {}}
