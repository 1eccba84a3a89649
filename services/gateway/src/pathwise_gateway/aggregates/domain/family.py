"""The guardian home: a child's progress told to their family (docs/gateway.md, "Guardian home").

Pure functions over what the services answered (the profile's goals, the pathway's steps, the
mastery rows, the open flags, what the child shared). Two rules shape every word here:

- **Support notes, never labels.** A flag is told as what the school is doing about it, in
  plain words ("Maya may need extra help with fractions; Maya's teacher is following up"), from
  a fixed table per flag kind and language. No "at risk", no numbers, no rank, and nothing that
  compares the child with other children: the summary is about this child only.
- **Languages.** Phrases and labels exist in English and Spanish; a guardian's preferred
  language picks them by its primary subtag (``es-MX`` reads Spanish), anything else reads
  English, and the answer says which was used.

Rows that are not shaped as expected are skipped rather than failing the summary.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

__all__ = [
    "DEFAULT_LANGUAGE",
    "EVIDENCE_ITEMS",
    "LABELS",
    "LANGUAGES",
    "LEVEL_LABELS",
    "STATUS_LABELS",
    "SUPPORT_NOTES",
    "CurrentStep",
    "EvidenceItem",
    "GoalMastery",
    "SkillLevel",
    "SupportNote",
    "Upcoming",
    "choose_language",
    "current_step",
    "goal_mastery",
    "level_label",
    "recent_evidence",
    "skill_titles",
    "status_label",
    "support_note",
    "support_notes",
    "upcoming",
]

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "es")
# How many of the latest practised skills "recent evidence" shows.
EVIDENCE_ITEMS = 5

# Per flag kind (pathways' insight codes, docs/pathways.md "Insights"): what the school is doing,
# in words a family can read. ``{name}`` is the child's given name, ``{skill}`` the skill's
# title (or the words for "their current work" when the flag names none).
SUPPORT_NOTES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "no_progress": "{name} may need extra help with {skill}; {name}'s teacher is following up.",
        "prerequisite_gap": "{name} is reviewing some earlier ideas that {skill} builds on; "
        "{name}'s teacher is helping with this.",
        "error_rate_high": "{name} has found some recent work on {skill} tricky; {name}'s "
        "teacher is taking a closer look.",
        "behind_pace": "{name}'s teacher is checking in on the timing of {name}'s goals and may "
        "adjust the plan.",
        "no_pathway": "{name}'s learning plan is being set up.",
        "accommodation_not_applied": "{name}'s teacher is making sure {name}'s activities fit "
        "how {name} learns best.",
        "_other": "{name}'s teacher is keeping an eye on how things are going and will be in "
        "touch if there is anything to share.",
        "_skill": "their current work",
    },
    "es": {
        "no_progress": "Es posible que {name} necesite ayuda adicional con {skill}; su docente "
        "le está dando seguimiento.",
        "prerequisite_gap": "{name} está repasando algunas ideas anteriores en las que se basa "
        "{skill}; su docente le está ayudando con esto.",
        "error_rate_high": "A {name} le han resultado difíciles algunos ejercicios recientes de "
        "{skill}; su docente lo está revisando con atención.",
        "behind_pace": "El o la docente de {name} está revisando los plazos de sus metas y "
        "puede ajustar el plan.",
        "no_pathway": "Se está preparando el plan de aprendizaje de {name}.",
        "accommodation_not_applied": "El o la docente de {name} se está asegurando de que sus "
        "actividades se adapten a su forma de aprender.",
        "_other": "El o la docente de {name} está atento a cómo le va y se pondrá en contacto "
        "si hay algo que contar.",
        "_skill": "su trabajo actual",
    },
}

# The headings a family app shows beside each part.
LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "goals": "Goals",
        "current_step": "Working on now",
        "recent_evidence": "Recent practice",
        "mastery_by_goal": "Skills for each goal",
        "support_notes": "Notes from school",
        "shared": "Shared with you",
        "upcoming": "Coming up",
        "goal_target": "Goal date",
        "step_due": "Step due",
    },
    "es": {
        "goals": "Metas",
        "current_step": "Trabajando ahora en",
        "recent_evidence": "Práctica reciente",
        "mastery_by_goal": "Habilidades de cada meta",
        "support_notes": "Notas de la escuela",
        "shared": "Compartido contigo",
        "upcoming": "Próximamente",
        "goal_target": "Fecha de la meta",
        "step_due": "Fecha de entrega del paso",
    },
}

# Assessment's display levels (docs/assessment.md), told as steps of one child's own growth.
LEVEL_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "not_started": "Not started yet",
        "attempted": "Getting started",
        "familiar": "Getting there",
        "proficient": "Nearly there",
        "mastered": "Got it",
    },
    "es": {
        "not_started": "Aún no empieza",
        "attempted": "Empezando",
        "familiar": "Avanzando",
        "proficient": "Casi lo logra",
        "mastered": "¡Lo logró!",
    },
}

# A goal's status (profiles: active, achieved, paused, dropped).
STATUS_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "active": "In progress",
        "achieved": "Achieved",
        "paused": "Paused",
        "dropped": "Set aside",
    },
    "es": {
        "active": "En curso",
        "achieved": "Lograda",
        "paused": "En pausa",
        "dropped": "Dejada de lado",
    },
}


def choose_language(preferred: str | None) -> str:
    """The language of the summary: the preferred tag's primary subtag when we have its words
    (``es-MX`` → ``es``), else English."""
    if not isinstance(preferred, str):
        return DEFAULT_LANGUAGE
    primary = preferred.strip().split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def _label(table: Mapping[str, Mapping[str, str]], language: str, key: Any) -> str | None:
    if not isinstance(key, str):
        return None
    words = table.get(language) or table[DEFAULT_LANGUAGE]
    return words.get(key, table[DEFAULT_LANGUAGE].get(key))


def level_label(level: Any, language: str) -> str | None:
    return _label(LEVEL_LABELS, language, level)


def status_label(status: Any, language: str) -> str | None:
    return _label(STATUS_LABELS, language, status)


def support_note(code: str, name: str, skill: str | None, language: str) -> str:
    """One flag as a support note: the kind's phrase, or a general one for a kind without a
    phrase (a new insight must never show its staff wording to a family)."""
    words = SUPPORT_NOTES.get(language) or SUPPORT_NOTES[DEFAULT_LANGUAGE]
    template = words.get(code) or words["_other"]
    return template.format(name=name, skill=skill or words["_skill"])


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _position(step: Mapping[str, Any]) -> int:
    value = step.get("position")
    return value if isinstance(value, int) else 0


def _steps(pathway: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    steps = pathway.get("steps") if isinstance(pathway, Mapping) else None
    rows = [
        s for s in steps or [] if isinstance(s, Mapping) and isinstance(s.get("skill_code"), str)
    ]
    return sorted(rows, key=_position)


def skill_titles(pathway: Mapping[str, Any] | None) -> dict[str, str]:
    """skill code → the title of its pathway step: the skill named as the child's plan names it."""
    return {s["skill_code"]: s["title"] for s in _steps(pathway) if isinstance(s.get("title"), str)}


@dataclass(frozen=True)
class CurrentStep:
    id: str | None
    skill_code: str
    title: str
    due_date: date | None
    position: int | None
    steps_total: int
    steps_done: int


_DONE = frozenset({"mastered", "placed", "skipped"})


def current_step(pathway: Mapping[str, Any] | None) -> CurrentStep | None:
    """The first step that is ready (the one being practised, as pathways and its insights
    count it); None without a pathway or when no step is ready (all done, or all locked)."""
    steps = _steps(pathway)
    ready = next((s for s in steps if s.get("status") == "ready"), None)
    if ready is None:
        return None
    return CurrentStep(
        id=str(ready["id"]) if ready.get("id") is not None else None,
        skill_code=ready["skill_code"],
        title=str(ready.get("title") or ready["skill_code"]),
        due_date=_parse_date(ready.get("due_date")),
        position=ready.get("position") if isinstance(ready.get("position"), int) else None,
        steps_total=len(steps),
        steps_done=sum(1 for s in steps if s.get("status") in _DONE),
    )


@dataclass(frozen=True)
class EvidenceItem:
    skill_code: str
    skill_title: str
    level: str | None
    level_label: str | None
    mastered: bool
    at: datetime


def _mastery_rows(skills: Iterable[Any]) -> list[Mapping[str, Any]]:
    return [r for r in skills if isinstance(r, Mapping) and isinstance(r.get("skill_code"), str)]


def recent_evidence(
    skills: Iterable[Any], titles: Mapping[str, str], language: str, limit: int = EVIDENCE_ITEMS
) -> list[EvidenceItem]:
    """The skills most recently practised (with evidence), newest first: what was worked on and
    where it stands now, never the answers themselves."""
    items = []
    for row in _mastery_rows(skills):
        at = _parse_time(row.get("updated_at"))
        count = row.get("evidence_count")
        if at is None or not isinstance(count, int) or count <= 0:
            continue
        code = row["skill_code"]
        items.append(
            EvidenceItem(
                skill_code=code,
                skill_title=titles.get(code, code),
                level=row.get("level") if isinstance(row.get("level"), str) else None,
                level_label=level_label(row.get("level"), language),
                mastered=row.get("mastered") is True,
                at=at,
            )
        )
    items.sort(key=lambda e: (e.at, e.skill_code), reverse=True)
    return items[:limit]


@dataclass(frozen=True)
class SkillLevel:
    skill_code: str
    skill_title: str
    level: str
    level_label: str | None
    mastered: bool


@dataclass(frozen=True)
class GoalMastery:
    goal_id: str
    title: str
    skills: list[SkillLevel]
    skills_mastered: int


def goal_mastery(
    goals: Iterable[Any], skills: Iterable[Any], titles: Mapping[str, str], language: str
) -> list[GoalMastery]:
    """For each goal, where each of its skills stands (a skill without evidence is
    ``not_started``). Goals in the order the profile lists them."""
    by_code = {r["skill_code"]: r for r in _mastery_rows(skills)}
    out = []
    for goal in goals:
        if not isinstance(goal, Mapping) or goal.get("id") is None:
            continue
        codes = [c for c in goal.get("skill_codes") or [] if isinstance(c, str)]
        levels = []
        for code in codes:
            row = by_code.get(code, {})
            raw_level = row.get("level")
            level = raw_level if isinstance(raw_level, str) else "not_started"
            levels.append(
                SkillLevel(
                    skill_code=code,
                    skill_title=titles.get(code, code),
                    level=level,
                    level_label=level_label(level, language),
                    mastered=row.get("mastered") is True,
                )
            )
        out.append(
            GoalMastery(
                goal_id=str(goal["id"]),
                title=str(goal.get("title") or ""),
                skills=levels,
                skills_mastered=sum(1 for s in levels if s.mastered),
            )
        )
    return out


@dataclass(frozen=True)
class SupportNote:
    kind: str
    text: str
    skill_code: str | None
    since: datetime | None


def support_notes(
    flags: Iterable[Any], name: str, titles: Mapping[str, str], language: str
) -> list[SupportNote]:
    """Each open flag as a support note, oldest first; one note per kind and skill."""
    notes: dict[tuple[str, str | None], SupportNote] = {}
    for flag in flags:
        if not isinstance(flag, Mapping) or not isinstance(flag.get("code"), str):
            continue
        code = flag["code"]
        skill = flag.get("skill_code") if isinstance(flag.get("skill_code"), str) else None
        key = (code, skill)
        if key in notes:
            continue
        title = titles.get(skill, skill) if skill else None
        notes[key] = SupportNote(
            kind=code,
            text=support_note(code, name, title, language),
            skill_code=skill,
            since=_parse_time(flag.get("raised_at")),
        )
    return sorted(notes.values(), key=lambda n: (n.since is None, n.since or datetime.min, n.kind))


@dataclass(frozen=True)
class Upcoming:
    kind: str  # "goal" or "step"
    label: str
    title: str
    date: date
    goal_id: str | None = None
    step_id: str | None = None


_OPEN_STEPS = frozenset({"ready", "locked"})


def upcoming(
    goals: Sequence[Any],
    pathway: Mapping[str, Any] | None,
    today: date,
    days: int,
    language: str,
) -> list[Upcoming]:
    """Dates in the next ``days`` days (today included): active goals' target dates and open
    steps' due dates, soonest first. Past dates are not upcoming; done steps and achieved,
    paused or dropped goals have nothing due."""
    until = today + timedelta(days=days)
    words = LABELS.get(language) or LABELS[DEFAULT_LANGUAGE]
    out = []
    for goal in goals:
        if not isinstance(goal, Mapping) or goal.get("status") != "active":
            continue
        when = _parse_date(goal.get("target_date"))
        if when is not None and today <= when <= until:
            out.append(
                Upcoming(
                    "goal",
                    words["goal_target"],
                    str(goal.get("title") or ""),
                    when,
                    goal_id=str(goal.get("id")),
                )
            )
    for step in _steps(pathway):
        if step.get("status") not in _OPEN_STEPS:
            continue
        when = _parse_date(step.get("due_date"))
        if when is not None and today <= when <= until:
            out.append(
                Upcoming(
                    "step",
                    words["step_due"],
                    str(step.get("title") or step["skill_code"]),
                    when,
                    step_id=str(step.get("id")),
                )
            )
    return sorted(out, key=lambda u: (u.date, u.kind, u.title))
