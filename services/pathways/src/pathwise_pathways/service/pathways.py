"""Learner pathways: plan, replan, choose, override, approve, advance on mastery events.

Every change goes through :func:`_replan` or :func:`_record`, which bump the pathway's version and
write a :class:`PathwayVersion` row naming who changed it and why, with the steps after it.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.pace import DEFAULT_STEP_MINUTES, GoalForecast, StepLoad, forecast
from pathwise_pathways.domain.planner import Goal, UnknownSkills, plan_steps
from pathwise_pathways.domain.ranking import (
    ActivityCard,
    LearnerFit,
    Reason,
    accessibility_needs,
    rank_board,
)
from pathwise_pathways.models import Activity, Pathway, PathwayStep, PathwayVersion, outbox
from pathwise_pathways.repository import activities as activities_repo
from pathwise_pathways.repository import pathways as repo
from pathwise_pathways.service.graph_cache import DistrictGraph, GraphCache
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import enqueue_event
from pathwise_shared.events import new_event
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "BOARD_SIZE",
    "PathwayView",
    "apply_mastery_event",
    "approve",
    "choose",
    "fill_boards",
    "hidden_parts",
    "learner_fit",
    "override",
    "pace_of",
    "plan",
    "require_pathway",
    "view",
]

BOARD_SIZE = 5
OPEN = ("ready", "locked")


def grade_rank(grade: str | None) -> int | None:
    if grade is None:
        return None
    value = grade.strip().upper()
    if value in {"K", "KG"}:
        return 0
    if value.startswith("HS") or value in {"9", "10", "11", "12"}:
        return 9
    return int(value) if value.isdigit() else None


def learner_fit(profile: dict[str, Any]) -> LearnerFit:
    return LearnerFit(
        interests=frozenset(profile.get("interests", [])),
        preferred_formats=tuple(profile.get("preferred_formats", [])),
        languages=tuple(profile.get("languages", []) or ["en"]),
        english_learner=bool(profile.get("english_learner", False)),
        needs=frozenset(profile.get("needs", [])),
    )


def _profile_snapshot(profile: dict[str, Any]) -> dict[str, Any]:
    """What planning keeps of a profile: preferences and derived needs, never raw notes."""
    terms = [str(a.get("term", "")) for a in profile.get("accommodations", []) or []]
    factors = [
        float(a["factor"])
        for a in profile.get("accommodations", []) or []
        if isinstance(a.get("factor"), int | float)
    ]
    return {
        "grade": profile.get("grade"),
        "interests": list(profile.get("interests", []) or []),
        "preferred_formats": list(profile.get("preferred_formats", []) or []),
        "languages": list(profile.get("languages", []) or ["en"]),
        "english_learner": bool(profile.get("english_learner", False)),
        "needs": sorted(accessibility_needs(terms)),
        "pace": profile.get("pace") or "steady",
        "time_factor": max(factors, default=1.0),
    }


def _card(activity: Activity) -> ActivityCard:
    return ActivityCard(
        id=str(activity.id),
        title=activity.title,
        format=activity.format,
        difficulty=activity.difficulty,
        minutes=activity.minutes,
        languages=tuple(activity.languages or ["en"]),
        accessibility=frozenset(activity.accessibility or []),
        interest_tags=frozenset(activity.interest_tags or []),
    )


def _goals(pathway: Pathway) -> list[Goal]:
    return [
        Goal(
            g["skill_code"], date.fromisoformat(g["target_date"]) if g.get("target_date") else None
        )
        for g in pathway.goals
    ]


class PathwayView:
    """A pathway with its steps (ordered) and its pace forecast, ready to serialize."""

    def __init__(
        self, pathway: Pathway, steps: list[PathwayStep], pace: list[GoalForecast]
    ) -> None:
        self.pathway = pathway
        self.steps = steps
        self.pace = pace


def pace_of(
    pathway: Pathway,
    steps: Sequence[PathwayStep],
    activities: dict[uuid.UUID, Activity] | None = None,
    today: date | None = None,
) -> list[GoalForecast]:
    loads = []
    for step in steps:
        minutes = DEFAULT_STEP_MINUTES
        chosen = (
            (activities or {}).get(step.chosen_activity_id) if step.chosen_activity_id else None
        )
        if chosen is not None:
            minutes = chosen.minutes
        elif step.board:
            minutes = int(step.board[0].get("minutes", DEFAULT_STEP_MINUTES))
        loads.append(
            StepLoad(
                step.skill_code,
                minutes,
                tuple(step.goal_codes or ()),
                step.status in {"mastered", "skipped"},
            )
        )
    goals = [(g.code, g.target_date) for g in _goals(pathway)]
    profile = pathway.learner_profile or {}
    return forecast(
        loads,
        goals,
        pace=str(profile.get("pace", "steady")),
        today=today or utcnow().date(),
        time_factor=float(profile.get("time_factor", 1.0)),
    )


def pathway_subject(learner_id: uuid.UUID) -> str:
    """One subject for all of a learner's pathway events, so their ``sequence`` orders them; not
    ``learner/<id>`` itself, which is profiles' (a subject has one writer, hence one counter)."""
    return f"learner/{learner_id}/pathways"


async def view(session: AsyncSession, pathway: Pathway) -> PathwayView:
    steps = await repo.steps_of(session, pathway.id)
    chosen = await activities_repo.get_activities(
        session, pathway.district_id, [s.chosen_activity_id for s in steps if s.chosen_activity_id]
    )
    return PathwayView(pathway, steps, pace_of(pathway, steps, chosen))


async def require_pathway(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, *, lock: bool = False
) -> Pathway:
    """``lock`` for a change: PostgreSQL then serializes concurrent changes of one pathway."""
    pathway = await repo.get_pathway(session, district_id, learner_id, lock=lock)
    if pathway is None:
        raise NotFound("This learner has no pathway yet.", slug="pathway-not-found")
    return pathway


def _snapshot(steps: Iterable[PathwayStep]) -> list[dict[str, Any]]:
    return [
        {
            "skill_code": s.skill_code,
            "status": s.status,
            "position": s.position,
            "chosen_activity_id": str(s.chosen_activity_id) if s.chosen_activity_id else None,
            "pinned": s.pinned,
            "choice_locked": s.choice_locked,
        }
        for s in steps
    ]


async def _record(
    session: AsyncSession,
    pathway: Pathway,
    steps: list[PathwayStep],
    actor: Principal,
    change: str,
    reason: str,
) -> None:
    pathway.version += 1
    pathway.updated_at = utcnow()
    session.add(
        PathwayVersion(
            pathway_id=pathway.id,
            version=pathway.version,
            change=change,
            actor=actor.subject,
            actor_kind=actor.kind,
            reason=reason,
            steps=_snapshot(steps),
        )
    )
    await _flush_or_conflict(session)


async def _flush_or_conflict(session: AsyncSession) -> None:
    """Two changes of one pathway at once (SQLite has no row lock) collide on the version number
    or on the one pathway per learner: the loser gets a 409 to retry, never a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "The pathway was changed at the same time by another request; try again.",
            slug="pathway-changed-concurrently",
        ) from exc


async def _replan(
    session: AsyncSession,
    graph: DistrictGraph,
    pathway: Pathway,
    existing: list[PathwayStep],
) -> tuple[list[PathwayStep], list[str], list[str]]:
    """Recompute the steps from goals, mastery and overrides; (steps, opened, reopened)."""
    by_code = {s.skill_code: s for s in existing}
    profile = pathway.learner_profile or {}
    mastered = set(pathway.mastered_codes) | set(profile.get("assumed_mastered", []))
    skipped = {s.skill_code for s in existing if s.status == "skipped"}
    extra = [s.skill_code for s in existing if (s.pinned or s.inserted) and s.status != "skipped"]
    ranks = {s.skill_code: s.teacher_rank for s in existing if s.teacher_rank is not None}
    try:
        planned = plan_steps(
            graph.graph,
            _goals(pathway),
            mastered,
            skipped=skipped,
            extra_targets=[c for c in extra if c in graph.graph.index],
            teacher_rank={c: r for c, r in ranks.items() if r is not None},
        )
    except UnknownSkills as exc:
        raise UnprocessableContent(
            "Unknown skill codes: " + ", ".join(exc.codes),
            slug="unknown-skill-codes",
            codes=exc.codes,
        ) from exc
    now = utcnow()
    # A step whose skill is now mastered stays in the pathway, as progress, marked mastered.
    kept = [s for s in existing if s.status != "skipped" and s.skill_code in mastered]
    for step in kept:
        step.status = "mastered"
    kept += [s for s in existing if s.status == "skipped"]
    planned_codes = {p.code for p in planned}
    for step in existing:
        if step not in kept and step.skill_code not in planned_codes:
            await session.delete(step)
    opened: list[str] = []
    reopened: list[str] = []
    result = list(kept)
    for item in planned:
        found = by_code.get(item.code)
        status = "ready" if item.ready else "locked"
        if found is None:
            skill = graph.skills.get(item.code)
            step = PathwayStep(
                pathway_id=pathway.id,
                skill_code=item.code,
                title=skill.title if skill else item.code,
                position=0,
                status=status,
                goal_codes=list(item.goal_codes),
                board=[],
            )
            session.add(step)
            if item.ready:
                opened.append(item.code)
        else:
            step = found
            if step.status == "mastered":
                reopened.append(item.code)
                step.mastered_at = None
            elif step.status == "locked" and item.ready:
                opened.append(item.code)
            step.status = status
            step.goal_codes = list(item.goal_codes)
        step.due_date = item.due_date
        result.append(step)
    for position, step in enumerate(result):
        step.position = position
        if step.status == "mastered" and step.mastered_at is None:
            step.mastered_at = now
    await fill_boards(session, pathway, [s for s in result if s.status in OPEN])
    await session.flush()
    return result, opened, reopened


def _stored_reasons(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    # Stored with their part and points so each viewer is shown only what they may see
    # (domain/disclosure.py), without re-ranking at read time.
    return [{"text": r.text, "part": r.part, "points": r.points} for r in reasons]


async def hidden_parts(
    upstream: Upstream, principal: Principal, learner_id: uuid.UUID
) -> frozenset[str]:
    """The profile parts this principal may not see of the learner (profiles decides, with the
    same rules and relation as the profile itself); our own system jobs see everything."""
    if principal.is_system:
        return frozenset()
    return await upstream.hidden_parts(principal, learner_id)


async def fill_boards(session: AsyncSession, pathway: Pathway, steps: list[PathwayStep]) -> None:
    codes = [s.skill_code for s in steps]
    catalogue = await activities_repo.activities_for_skills(session, pathway.district_id, codes)
    fit = learner_fit(pathway.learner_profile or {})
    p_known: dict[str, float] = (pathway.learner_profile or {}).get("p_known", {})
    for step in steps:
        cards = [_card(a) for a in catalogue.get(step.skill_code, [])]
        board = rank_board(cards, fit, p_known.get(step.skill_code), BOARD_SIZE)
        entries = [
            {
                "activity_id": e.activity_id,
                "title": e.title,
                "format": e.format,
                "minutes": e.minutes,
                "score": e.score,
                "reasons": _stored_reasons(e.reasons),
            }
            for e in board
        ]
        chosen = str(step.chosen_activity_id) if step.chosen_activity_id else None
        if chosen and chosen not in {e["activity_id"] for e in entries}:
            # A chosen (or teacher-locked) activity stays on the board even if it ranks lower.
            locked = next(
                (a for a in catalogue.get(step.skill_code, []) if str(a.id) == chosen), None
            )
            if locked is not None:
                entry = rank_board([_card(locked)], fit, p_known.get(step.skill_code), 1)[0]
                entries.append(
                    {
                        "activity_id": entry.activity_id,
                        "title": entry.title,
                        "format": entry.format,
                        "minutes": entry.minutes,
                        "score": entry.score,
                        "reasons": _stored_reasons(entry.reasons),
                    }
                )
            elif not step.choice_locked:
                step.chosen_activity_id = None
        step.board = entries


def _assumed_mastered(
    graph: DistrictGraph, grade: str | None, evidence: dict[str, dict[str, Any]]
) -> list[str]:
    """Skills two or more grades below the learner's, unless assessment saw them not mastered."""
    learner = grade_rank(grade)
    if learner is None:
        return []
    assumed = []
    for code, row in graph.skills.items():
        rank = grade_rank(row.grade)
        if rank is None or rank > learner - 2:
            continue
        seen = evidence.get(code)
        if seen is not None and not seen.get("mastered"):
            continue
        assumed.append(code)
    return sorted(assumed)


async def plan(
    session: AsyncSession,
    cache: GraphCache,
    upstream: Upstream,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    *,
    goals: list[tuple[str, date | None]] | None,
    requires_approval: bool,
    assume_prior_grades: bool,
    reason: str,
) -> Pathway:
    """Plan (or replan from scratch) a learner's pathway from live profile and mastery."""
    profile = await upstream.planning_profile(principal, learner_id)
    if str(profile.get("district_id")) != str(district_id):
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    mastery = await upstream.mastery(principal, learner_id)
    graph = await cache.get(session, district_id)
    if goals is None:
        goals = [
            (code, date.fromisoformat(g["target_date"]) if g.get("target_date") else None)
            for g in profile.get("goals", [])
            if g.get("status", "active") == "active"
            for code in g.get("skill_codes", [])
        ]
    if not goals:
        raise UnprocessableContent(
            "No goal skills: give goals or set an active goal with skill codes on the profile.",
            slug="no-goals",
        )
    unknown = sorted({code for code, _ in goals if code not in graph.skills})
    if unknown:
        raise UnprocessableContent(
            "Unknown skill codes: " + ", ".join(unknown),
            slug="unknown-skill-codes",
            codes=unknown,
        )
    evidence = {m["skill_code"]: m for m in mastery if "skill_code" in m}
    snapshot = _profile_snapshot(profile)
    snapshot["p_known"] = {c: float(m.get("p_known", 0.0)) for c, m in evidence.items()}
    snapshot["assumed_mastered"] = (
        _assumed_mastered(graph, profile.get("grade"), evidence) if assume_prior_grades else []
    )
    merged: dict[str, date | None] = {}
    for code, target in goals:
        if code not in merged or (target and (merged[code] is None or target < merged[code])):  # type: ignore[operator]
            merged[code] = target
    pathway = await repo.get_pathway(session, district_id, learner_id, lock=True)
    created = pathway is None
    if pathway is None:
        pathway = Pathway(
            district_id=district_id,
            learner_id=learner_id,
            status="active",
            version=0,
            goals=[],
            mastered_codes=[],
            learner_profile={},
        )
        session.add(pathway)
        await _flush_or_conflict(session)
        existing: list[PathwayStep] = []
    else:
        existing = await repo.steps_of(session, pathway.id)
    pathway.goals = [
        {"skill_code": c, "target_date": t.isoformat() if t else None} for c, t in merged.items()
    ]
    pathway.mastered_codes = sorted(c for c, m in evidence.items() if m.get("mastered"))
    # Kept across replans: an event older than one already applied stays stale.
    snapshot["mastery_event_at"] = dict((pathway.learner_profile or {}).get("mastery_event_at", {}))
    pathway.learner_profile = snapshot
    if requires_approval:
        pathway.status = "draft"
        pathway.approved_by = None
    steps, _, _ = await _replan(session, graph, pathway, existing)
    await _record(session, pathway, steps, principal, "planned" if created else "replanned", reason)
    await enqueue_event(
        session,
        outbox,
        new_event(
            "pathway.planned",
            district_id=district_id,
            subject=pathway_subject(learner_id),
            data={
                "learner_id": str(learner_id),
                "pathway_id": str(pathway.id),
                "version": pathway.version,
                "status": pathway.status,
                "goal_codes": list(merged),
                "steps": len(steps),
            },
        ),
    )
    return pathway


async def approve(
    session: AsyncSession, principal: Principal, pathway: Pathway, reason: str
) -> None:
    if pathway.status != "draft":
        raise Conflict("The pathway is already active.", slug="pathway-not-draft")
    pathway.status = "active"
    pathway.approved_by = principal.subject
    await _record(
        session, pathway, await repo.steps_of(session, pathway.id), principal, "approved", reason
    )


def _step(steps: list[PathwayStep], step_id: uuid.UUID | None) -> PathwayStep:
    found = next((s for s in steps if s.id == step_id), None)
    if found is None:
        raise NotFound("No such step in this pathway.", slug="step-not-found")
    return found


async def choose(
    session: AsyncSession,
    principal: Principal,
    pathway: Pathway,
    step_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> None:
    steps = await repo.steps_of(session, pathway.id)
    step = _step(steps, step_id)
    if step.status not in OPEN:
        raise Conflict(f"The step is {step.status}; choose on an open step.", slug="step-closed")
    if step.choice_locked and not principal.has_role("teacher", "school_admin", "district_admin"):
        raise Conflict("A teacher has locked this step's activity.", slug="choice-locked")
    if str(activity_id) not in {e["activity_id"] for e in step.board}:
        raise UnprocessableContent(
            "That activity is not on this step's choice board.", slug="activity-not-on-board"
        )
    step.chosen_activity_id = activity_id
    await _record(session, pathway, steps, principal, "chose", f"chose activity {activity_id}")


async def override(
    session: AsyncSession,
    cache: GraphCache,
    principal: Principal,
    pathway: Pathway,
    *,
    action: str,
    reason: str,
    step_id: uuid.UUID | None,
    skill_code: str | None,
    order: list[uuid.UUID] | None,
    activity_id: uuid.UUID | None,
) -> None:
    """A teacher's change: pin/unpin, skip/unskip, insert, reorder, lock/unlock a choice."""
    graph = await cache.get(session, pathway.district_id)
    steps = await repo.steps_of(session, pathway.id)
    if action == "insert":
        if not skill_code:
            raise UnprocessableContent("insert needs skill_code.", slug="skill-code-required")
        if skill_code not in graph.skills:
            raise UnprocessableContent(
                f"Unknown skill code {skill_code}.", slug="unknown-skill-codes", codes=[skill_code]
            )
        if any(s.skill_code == skill_code for s in steps):
            raise Conflict(f"{skill_code} is already a step.", slug="step-exists")
        step = PathwayStep(
            pathway_id=pathway.id,
            skill_code=skill_code,
            title=graph.skills[skill_code].title,
            position=len(steps),
            status="locked",
            inserted=True,
            pinned=True,
            goal_codes=[],
            board=[],
        )
        session.add(step)
        steps.append(step)
    elif action == "reorder":
        _apply_order(graph, steps, order)
    else:
        if step_id is None:
            raise UnprocessableContent(f"{action} needs step_id.", slug="step-id-required")
        step = _step(steps, step_id)
        if action in {"pin", "unpin"}:
            step.pinned = action == "pin"
        elif action == "skip":
            if step.status not in OPEN:
                raise Conflict(f"The step is {step.status}.", slug="step-closed")
            step.status = "skipped"
        elif action == "unskip":
            if step.status != "skipped":
                raise Conflict("The step is not skipped.", slug="step-not-skipped")
            step.status = "locked"
        elif action == "lock":
            if activity_id is None:
                raise UnprocessableContent("lock needs activity_id.", slug="activity-required")
            if str(activity_id) not in {e["activity_id"] for e in step.board}:
                raise UnprocessableContent(
                    "That activity is not on this step's choice board.",
                    slug="activity-not-on-board",
                )
            step.chosen_activity_id = activity_id
            step.choice_locked = True
        elif action == "unlock":
            step.choice_locked = False
    await session.flush()
    steps, _, _ = await _replan(session, graph, pathway, steps)
    await _record(session, pathway, steps, principal, action, reason)


def _apply_order(
    graph: DistrictGraph, steps: list[PathwayStep], order: list[uuid.UUID] | None
) -> None:
    open_steps = {s.id: s for s in steps if s.status in OPEN}
    if not order or set(order) != set(open_steps) or len(order) != len(open_steps):
        raise UnprocessableContent(
            "reorder needs every open step id exactly once.", slug="invalid-order"
        )
    position = {open_steps[sid].skill_code: i for i, sid in enumerate(order)}
    for code, i in position.items():
        if code not in graph.graph.index:
            continue
        for prereq in graph.graph.prerequisites_of(code):
            if prereq in position and position[prereq] > i:
                raise Conflict(
                    f"{code} cannot come before its prerequisite {prereq}.",
                    slug="prerequisite-order",
                    skill_code=code,
                    prerequisite=prereq,
                )
    for code, i in position.items():
        next(s for s in steps if s.skill_code == code).teacher_rank = i


async def apply_mastery_event(
    session: AsyncSession,
    cache: GraphCache,
    principal: Principal,
    district_id: uuid.UUID,
    data: dict[str, Any],
    occurred_at: datetime | None = None,
) -> str:
    """mastery.changed → mark mastered / reopen, open the next steps, replan; what happened.

    Delivery is at least once and in no particular order (retries, several dispatch workers):
    an event older than the last one applied for the same skill is stale and changes nothing,
    so a late "not mastered yet" can never undo the "mastered" that followed it.
    """
    try:
        learner_id = uuid.UUID(str(data["learner_id"]))
        code = str(data["skill_code"])
        mastered = bool(data["mastered"])
    except (KeyError, ValueError) as exc:
        raise UnprocessableContent(
            "mastery.changed needs learner_id, skill_code and mastered.", slug="invalid-event"
        ) from exc
    pathway = await repo.get_pathway(session, district_id, learner_id, lock=True)
    if pathway is None:
        return "no pathway"
    codes = set(pathway.mastered_codes)
    profile = dict(pathway.learner_profile or {})
    seen_at = dict(profile.get("mastery_event_at", {}))
    if occurred_at is not None:
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        last = seen_at.get(code)
        if last is not None and datetime.fromisoformat(last) > occurred_at:
            return "stale"
        seen_at[code] = occurred_at.isoformat()
        profile["mastery_event_at"] = seen_at
    assumed = set(profile.get("assumed_mastered", []))
    p_known = dict(profile.get("p_known", {}))
    if "p_known" in data:
        p_known[code] = float(data["p_known"])
    was = code in codes or code in assumed
    if mastered:
        codes.add(code)
    else:
        codes.discard(code)
        assumed.discard(code)
    profile["assumed_mastered"] = sorted(assumed)
    profile["p_known"] = p_known
    pathway.mastered_codes = sorted(codes)
    pathway.learner_profile = profile
    if was == mastered:
        await session.flush()
        return "unchanged"
    graph = await cache.get(session, district_id)
    existing = await repo.steps_of(session, pathway.id)
    was_step = any(s.skill_code == code for s in existing)
    steps, opened, reopened = await _replan(session, graph, pathway, existing)
    verb = "mastered" if mastered else "lost"
    await _record(
        session,
        pathway,
        steps,
        principal,
        "advanced" if mastered else "reopened",
        f"mastery.changed: {code} {verb} (p_known {p_known.get(code, 0.0):.2f})",
    )
    base = {"learner_id": str(learner_id), "pathway_id": str(pathway.id), "skill_code": code}
    if mastered and was_step:
        await enqueue_event(
            session,
            outbox,
            new_event(
                "pathway.step_mastered",
                district_id=district_id,
                subject=pathway_subject(learner_id),
                data={**base, "opened": opened, "version": pathway.version},
            ),
        )
    for reopened_code in reopened:
        await enqueue_event(
            session,
            outbox,
            new_event(
                "pathway.step_reopened",
                district_id=district_id,
                subject=pathway_subject(learner_id),
                data={**base, "skill_code": reopened_code, "version": pathway.version},
            ),
        )
    return "advanced" if mastered else "reopened"
