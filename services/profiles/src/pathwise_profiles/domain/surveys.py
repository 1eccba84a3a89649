"""Student voice surveys (docs/profiles.md, "Student voice surveys"): which questions are valid,
which answers fit them, what a consented answer changes in the profile, and the per-option counts
a sender sees. Pure functions over plain data.

Errors are ``{"field", "message", "type"}`` dicts naming the body field (``body.questions.2.options``)
as the validation problems do, so a 422 says exactly which question is wrong.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pathwise_profiles.domain.profile import FORMATS

__all__ = [
    "DELEGATED_BY_SURVEY",
    "MAPPABLE_FIELDS",
    "PACES",
    "SCALE",
    "FieldError",
    "MapsTo",
    "Question",
    "QuestionKind",
    "answer_errors",
    "count_answers",
    "profile_changes",
    "question_errors",
    "question_id",
]

QuestionKind = Literal["single_choice", "multiple_choice", "scale", "short_text"]
MapsTo = Literal["interests", "preferred_formats", "pace"]
FieldError = dict[str, str]

CHOICE_KINDS = frozenset({"single_choice", "multiple_choice"})
SCALE = range(1, 6)
PACES: tuple[str, ...] = ("slower", "steady", "faster")
MAX_TEXT = 500
# The same limits as a profile edit (schemas/profiles.py): an interest is a tag of 1-60 characters.
MAX_TAG = 60

# The profile fields a question may fill, the question kind that fits each, and the values the
# profile accepts there (None: any tag). Interests are the learner's own part; formats and pace
# are written by staff on the profile, and by the learner only through a question a teacher or
# admin mapped to them (docs/profiles.md, "Student voice surveys").
MAPPABLE_FIELDS: Mapping[str, tuple[str, tuple[str, ...] | None]] = {
    "interests": ("multiple_choice", None),
    "preferred_formats": ("multiple_choice", FORMATS),
    "pace": ("single_choice", PACES),
}
assert set(MAPPABLE_FIELDS) == set(get_args(MapsTo))
# The fields a learner writes only through a mapped question: the staff member who mapped the
# question delegated that one choice to the learner's answer (and the learner's consent).
DELEGATED_BY_SURVEY = frozenset({"preferred_formats", "pace"})


def question_id(index: int) -> str:
    """A question's id: its position (``q1``, ``q2``, …). Surveys are not edited once created, so
    the position never changes under an answer."""
    return f"q{index + 1}"


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    prompt: str
    options: tuple[str, ...]
    maps_to: str | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> "Question":
        return cls(
            id=raw["id"],
            kind=raw["kind"],
            prompt=raw["prompt"],
            options=tuple(raw.get("options") or ()),
            maps_to=raw.get("maps_to"),
        )


def _err(field: str, message: str, type_: str) -> FieldError:
    return {"field": field, "message": message, "type": type_}


def question_errors(questions: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Every problem of a survey's questions: options for the choice kinds (at least two,
    distinct, after trimming) and none for the others; ``maps_to`` only on the kind that fits
    the field, with options the profile accepts there, and each field filled by one question."""
    errors: list[FieldError] = []
    mapped: set[str] = set()
    for i, q in enumerate(questions):
        at = f"body.questions.{i}"
        kind, options, maps_to = q["kind"], q.get("options"), q.get("maps_to")
        if kind in CHOICE_KINDS:
            if not options or len(options) < 2:
                errors.append(_err(f"{at}.options", f"a {kind} question needs 2 or more options",
                                   "options_required"))  # fmt: skip
            elif len({o.casefold() for o in options}) != len(options):
                errors.append(_err(f"{at}.options", "options must be distinct", "options_repeat"))
        elif options:
            errors.append(
                _err(f"{at}.options", f"a {kind} question takes no options", "options_not_allowed")
            )
        if maps_to is None:
            continue
        fits, accepted = MAPPABLE_FIELDS[maps_to]
        if kind != fits:
            errors.append(_err(f"{at}.maps_to", f"{maps_to} is filled by a {fits} question, "
                               f"not {kind}", "maps_to_kind"))  # fmt: skip
        elif accepted is not None and options:
            unknown = [o for o in options if o not in accepted]
            if unknown:
                errors.append(_err(f"{at}.options", f"{maps_to} accepts only "
                                   f"{', '.join(accepted)}; not {', '.join(unknown)}",
                                   "maps_to_value"))  # fmt: skip
        elif options:
            too_long = [o for o in options if len(o) > MAX_TAG]
            if too_long:
                errors.append(_err(f"{at}.options", f"an interest is at most {MAX_TAG} "
                                   "characters", "maps_to_value"))  # fmt: skip
        if maps_to in mapped:
            errors.append(_err(f"{at}.maps_to", f"another question already fills {maps_to}",
                               "maps_to_repeat"))  # fmt: skip
        mapped.add(maps_to)
    return errors


def answer_errors(
    questions: Sequence[Question], answers: Sequence[Mapping[str, Any]]
) -> list[FieldError]:
    """Every problem of a learner's answers: a known question, answered once, with a value of its
    kind (one option / distinct options / 1-5 / text of 1-500 characters), and consent
    (``apply_to_profile``) only where the question fills a profile field."""
    by_id = {q.id: q for q in questions}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, a in enumerate(answers):
        at = f"body.answers.{i}"
        q = by_id.get(a["question_id"])
        if q is None:
            errors.append(_err(f"{at}.question_id", "no such question in this survey",
                               "unknown_question"))  # fmt: skip
            continue
        if q.id in seen:
            errors.append(_err(f"{at}.question_id", f"{q.id} is answered twice", "answer_repeat"))
        seen.add(q.id)
        problem = _value_problem(q, a["value"])
        if problem is not None:
            errors.append(_err(f"{at}.value", problem, "answer_value"))
        if a.get("apply_to_profile") and q.maps_to is None:
            errors.append(_err(f"{at}.apply_to_profile", f"{q.id} fills no profile field",
                               "nothing_to_apply"))  # fmt: skip
    return errors


def _value_problem(q: Question, value: object) -> str | None:
    if q.kind == "single_choice":
        if not isinstance(value, str) or value not in q.options:
            return f"one of: {', '.join(q.options)}"
    elif q.kind == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "a list of options"
        if any(v not in q.options for v in value) or len(set(value)) != len(value):
            return f"distinct options among: {', '.join(q.options)}"
    elif q.kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            return "a whole number from 1 to 5"
    elif not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        return f"text of 1 to {MAX_TEXT} characters"
    return None


def profile_changes(
    questions: Sequence[Question],
    answers: Iterable[Mapping[str, Any]],
    current: Mapping[Any, Any],
) -> dict[str, Any]:
    """The profile values the consented answers set (answers already valid).

    A multiple-choice answer speaks for the options it offered: the chosen ones are in the list
    afterwards, the offered and unchosen ones are not, and what the question did not ask about
    is kept in its place (an interest the learner typed in themself survives a survey about
    sports). Pace is the chosen value."""
    by_id = {q.id: q for q in questions}
    changes: dict[str, Any] = {}
    for a in answers:
        q = by_id[a["question_id"]]
        if not a.get("apply_to_profile") or q.maps_to is None:
            continue
        if q.maps_to == "pace":
            changes["pace"] = a["value"]
            continue
        chosen = list(a["value"])
        offered = set(q.options)
        kept = [v for v in current.get(q.maps_to) or [] if v not in offered]
        changes[q.maps_to] = kept + [v for v in q.options if v in chosen]
    return changes


def count_answers(
    questions: Sequence[Question], answer_sets: Iterable[Sequence[Mapping[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """Per question: how many answered it and, for choices and the scale, how many picked each
    option, in the question's own order (never sorted by count: the results rank nothing)."""
    counts: dict[str, dict[str, Any]] = {}
    for q in questions:
        keys = [str(v) for v in SCALE] if q.kind == "scale" else list(q.options)
        counts[q.id] = {"answered": 0, "options": dict.fromkeys(keys, 0)}
    for answers in answer_sets:
        for a in answers:
            entry = counts.get(a["question_id"])
            if entry is None:
                continue
            entry["answered"] += 1
            value = a["value"]
            picked = value if isinstance(value, list) else [value]
            for v in picked:
                key = str(v)
                if key in entry["options"]:
                    entry["options"][key] += 1
    return counts
