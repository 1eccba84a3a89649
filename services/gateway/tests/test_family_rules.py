"""The guardian home's pure rules (``aggregates/domain/family.py``): support-note phrases per flag
kind and language, the language chosen, and the summary's parts composed from service answers."""

import re
import string
from datetime import UTC, date, datetime

import pytest

from pathwise_gateway.aggregates.domain.family import (
    LABELS,
    LANGUAGES,
    LEVEL_LABELS,
    STATUS_LABELS,
    SUPPORT_NOTES,
    choose_language,
    current_step,
    goal_mastery,
    recent_evidence,
    skill_titles,
    support_note,
    support_notes,
    upcoming,
)

# Every kind pathways raises today (docs/pathways.md, "Insights").
FLAG_KINDS = (
    "no_progress",
    "prerequisite_gap",
    "error_rate_high",
    "behind_pace",
    "no_pathway",
    "accommodation_not_applied",
)
# Words a family must never read about their child: labels, numbers, ranks, comparisons.
FORBIDDEN = re.compile(
    r"risk|riesgo|behind|atrasad|rank|struggl|fail|below|debajo|average|promedio|percent|"
    r"than other|que otros|compared|comparad|class|clase|\d",
    re.IGNORECASE,
)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", FLAG_KINDS)
def test_every_flag_kind_has_a_plain_phrase_in_every_language(language: str, kind: str) -> None:
    assert kind in SUPPORT_NOTES[language]
    text = support_note(kind, "Maya", "Fractions as parts of a whole", language)
    assert "Maya" in text
    assert "{" not in text and "}" not in text
    assert not FORBIDDEN.search(text.replace("Fractions as parts of a whole", "")), text


@pytest.mark.parametrize("language", LANGUAGES)
def test_phrase_placeholders_are_only_name_and_skill(language: str) -> None:
    for key, template in SUPPORT_NOTES[language].items():
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        assert fields <= {"name", "skill"}, (language, key, fields)


def test_the_example_sentence() -> None:
    assert (
        support_note("no_progress", "Maya", "fractions", "en")
        == "Maya may need extra help with fractions; Maya's teacher is following up."
    )
    assert support_note("no_progress", "Maya", "fracciones", "es") == (
        "Es posible que Maya necesite ayuda adicional con fracciones; su docente le está dando "
        "seguimiento."
    )


def test_a_flag_without_a_skill_reads_their_current_work() -> None:
    assert "their current work" in support_note("no_progress", "Sam", None, "en")
    assert "su trabajo actual" in support_note("no_progress", "Sam", None, "es")


def test_an_unknown_kind_gets_the_general_phrase_never_its_code() -> None:
    text = support_note("new_staff_only_signal", "Sam", "x", "es")
    assert text == SUPPORT_NOTES["es"]["_other"].format(name="Sam")
    assert "new_staff_only_signal" not in text


def test_tables_have_the_same_keys_in_every_language() -> None:
    for table in (SUPPORT_NOTES, LABELS, LEVEL_LABELS, STATUS_LABELS):
        keys = {frozenset(table[lang]) for lang in LANGUAGES}
        assert len(keys) == 1


@pytest.mark.parametrize(
    ("preferred", "chosen"),
    [
        (None, "en"),
        ("es", "es"),
        ("es-MX", "es"),
        (" ES ", "es"),
        ("en-GB", "en"),
        ("fr", "en"),  # no French words yet: English, and the answer says so
        ("", "en"),
        (5, "en"),
    ],
)
def test_language_by_primary_subtag_else_english(preferred: object, chosen: str) -> None:
    assert choose_language(preferred) == chosen  # type: ignore[arg-type]


PATHWAY = {
    "steps": [
        {"id": "s2", "skill_code": "3.NF.A.2", "title": "Fractions on a number line",
         "position": 2, "status": "locked", "due_date": "2026-12-10"},
        {"id": "s1", "skill_code": "3.NF.A.1", "title": "Fractions as parts of a whole",
         "position": 1, "status": "mastered", "due_date": "2026-12-01"},
        {"id": "s3", "skill_code": "3.NF.A.3", "title": "Equivalent fractions",
         "position": 3, "status": "ready", "due_date": "2027-03-01"},
        {"id": "s4", "skill_code": "3.MD.A.1", "title": "Telling time",
         "position": 4, "status": "ready", "due_date": None},
        "not a step",
    ]
}  # fmt: skip


def test_current_step_is_the_first_ready_by_position() -> None:
    step = current_step(PATHWAY)
    assert step is not None
    assert (step.id, step.skill_code, step.due_date) == ("s3", "3.NF.A.3", date(2027, 3, 1))
    assert (step.steps_total, step.steps_done) == (4, 1)


def test_no_current_step_without_a_pathway_or_a_ready_step() -> None:
    assert current_step(None) is None
    assert current_step({"steps": [{"skill_code": "x", "status": "locked", "position": 1}]}) is None


MASTERY = [
    {"skill_code": "3.NF.A.1", "level": "mastered", "mastered": True, "evidence_count": 8,
     "updated_at": "2026-11-20T10:00:00+00:00", "p_known": 0.97},
    {"skill_code": "3.NF.A.3", "level": "attempted", "mastered": False, "evidence_count": 3,
     "updated_at": "2026-11-28T10:00:00+00:00", "p_known": 0.3},
    {"skill_code": "3.NF.A.2", "level": "not_started", "mastered": False, "evidence_count": 0,
     "updated_at": "2026-11-29T10:00:00+00:00", "p_known": 0.1},
    {"skill_code": "3.MD.A.1", "level": "familiar", "mastered": False, "evidence_count": 1,
     "updated_at": "not a time"},
    {"level": "mastered"},
]  # fmt: skip


def test_recent_evidence_is_newest_practised_first_without_answers() -> None:
    titles = skill_titles(PATHWAY)
    items = recent_evidence(MASTERY, titles, "es", limit=5)
    assert [i.skill_code for i in items] == ["3.NF.A.3", "3.NF.A.1"]  # no evidence, bad time: out
    assert items[0].skill_title == "Equivalent fractions"
    assert items[0].level_label == "Empezando"
    assert items[0].at == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert recent_evidence(MASTERY, titles, "en", limit=1)[0].skill_code == "3.NF.A.3"


def test_mastery_by_goal_counts_each_goal_skill() -> None:
    goals = [
        {"id": "g1", "title": "Fractions", "skill_codes": ["3.NF.A.1", "3.NF.A.3", "3.NF.A.9"]},
        {"title": "no id"},
    ]
    [goal] = goal_mastery(goals, MASTERY, skill_titles(PATHWAY), "en")
    assert goal.skills_mastered == 1
    assert [(s.skill_code, s.level, s.level_label) for s in goal.skills] == [
        ("3.NF.A.1", "mastered", "Got it"),
        ("3.NF.A.3", "attempted", "Getting started"),
        ("3.NF.A.9", "not_started", "Not started yet"),  # no evidence at all yet
    ]


def test_support_notes_one_per_kind_and_skill_in_the_language() -> None:
    flags = [
        {"code": "no_progress", "skill_code": "3.NF.A.3", "raised_at": "2026-11-29T09:00:00+00:00"},
        {"code": "no_progress", "skill_code": "3.NF.A.3", "raised_at": "2026-11-30T09:00:00+00:00"},
        {"code": "behind_pace", "skill_code": None, "raised_at": "2026-11-28T09:00:00+00:00"},
        {"code": 7},
    ]
    notes = support_notes(flags, "Maya", skill_titles(PATHWAY), "es")
    assert [n.kind for n in notes] == ["behind_pace", "no_progress"]
    assert notes[1].text == support_note("no_progress", "Maya", "Equivalent fractions", "es")
    assert "ayuda adicional" in notes[1].text


def test_upcoming_dates_in_the_window_soonest_first() -> None:
    goals = [
        {"id": "g1", "title": "Fractions", "status": "active", "target_date": "2026-12-05"},
        {"id": "g2", "title": "Done", "status": "achieved", "target_date": "2026-12-02"},
        {"id": "g3", "title": "Later", "status": "active", "target_date": "2027-05-31"},
        {"id": "g4", "title": "Past", "status": "active", "target_date": "2026-11-01"},
    ]
    today = date(2026, 12, 1)
    items = upcoming(goals, PATHWAY, today, 14, "es")
    assert [(u.kind, u.title, u.date) for u in items] == [
        ("goal", "Fractions", date(2026, 12, 5)),
        ("step", "Fractions on a number line", date(2026, 12, 10)),  # mastered s1: not due
    ]
    assert items[0].label == LABELS["es"]["goal_target"]
    assert upcoming(goals, PATHWAY, today, 3, "en") == []
    # Today itself is upcoming; the window's last day too.
    assert [u.title for u in upcoming(goals, None, date(2026, 12, 5), 0, "en")] == ["Fractions"]
