"""Teacher tools for a class: flexible grouping, one-call assignment, insights."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.disclosure import visible_flags
from pathwise_pathways.domain.grouping import (
    Group,
    LearnerStanding,
    group_by_band,
    group_by_next_skill,
)
from pathwise_pathways.domain.insights import (
    Evidence,
    Flag,
    GoalLoad,
    LearnerSignals,
    RecentErrors,
    SkillRun,
    flag_learner,
)
from pathwise_pathways.models import (
    ClassGrouping,
    GroupAssignment,
    LearnerFlag,
    Pathway,
    PathwayStep,
)
from pathwise_pathways.repository import activities as activities_repo
from pathwise_pathways.repository import classes as repo
from pathwise_pathways.repository import flags as flags_repo
from pathwise_pathways.repository import pathways as pathways_repo
from pathwise_pathways.service.flags import held_flags, sync_flags
from pathwise_pathways.service.graph_cache import DistrictGraph, GraphCache
from pathwise_pathways.service.pathways.boards import fill_boards
from pathwise_pathways.service.pathways.history import OPEN, record_change
from pathwise_pathways.service.pathways.replan import goals_of
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.problems import NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "assign",
    "class_insights",
    "current_grouping",
    "flag_out",
    "goal_loads",
    "make_groups",
]


async def _roster(
    upstream: Upstream, principal: Principal, district_id: uuid.UUID, class_id: uuid.UUID
) -> list[dict[str, Any]]:
    roster = await upstream.class_learners(principal, class_id)
    if str(roster.get("district_id")) != str(district_id):
        raise NotFound("No such class in your district.", slug="class-not-found")
    learners: list[dict[str, Any]] = roster.get("learners", [])
    return learners


def _next_skill(steps: list[PathwayStep]) -> str | None:
    return next((s.skill_code for s in steps if s.status == "ready"), None)


async def make_groups(
    session: AsyncSession,
    cache: GraphCache,
    upstream: Upstream,
    principal: Principal,
    district_id: uuid.UUID,
    class_id: uuid.UUID,
    *,
    strategy: str,
    min_size: int,
    max_size: int,
    skill_codes: list[str] | None,
) -> ClassGrouping:
    if min_size > max_size:
        raise UnprocessableContent("min_size is larger than max_size.", slug="invalid-sizes")
    graph = await cache.get(session, district_id)
    unknown = sorted({code for code in skill_codes or [] if code not in graph.skills})
    if unknown:
        raise UnprocessableContent(
            "Unknown skill codes: " + ", ".join(unknown), slug="unknown-skill-codes", codes=unknown
        )
    learners = await _roster(upstream, principal, district_id, class_id)
    ids = [uuid.UUID(str(row["id"])) for row in learners]
    pathways = await pathways_repo.pathways_for_learners(session, district_id, ids)
    steps = await pathways_repo.steps_of_many(session, [p.id for p in pathways.values()])
    groups: list[Group]
    if strategy == "next_skill":
        standings = [
            LearnerStanding(
                str(lid),
                _next_skill(steps.get(pathways[lid].id, [])) if lid in pathways else None,
                None,
            )
            for lid in ids
        ]
        rank = graph.graph.rank
        index = graph.graph.index
        groups = group_by_next_skill(
            standings,
            lambda code: rank[index[code]] if code in index else len(rank),
            min_size=min_size,
            max_size=max_size,
        )
    else:
        rows = await upstream.mastery_query(principal, ids, skill_codes) if ids else []
        totals: dict[str, list[float]] = {}
        for row in rows:
            totals.setdefault(str(row["learner_id"]), []).append(float(row.get("p_known", 0.0)))
        standings = [
            LearnerStanding(
                str(lid),
                None,
                sum(totals[str(lid)]) / len(totals[str(lid)]) if totals.get(str(lid)) else None,
            )
            for lid in ids
        ]
        groups = group_by_band(standings, min_size=min_size, max_size=max_size)
    grouping = ClassGrouping(
        district_id=district_id,
        class_id=class_id,
        strategy=strategy,
        groups=[
            {
                "index": i,
                "label": g.label,
                "skill_codes": list(g.skill_codes),
                "learner_ids": list(g.learner_ids),
            }
            for i, g in enumerate(groups)
        ],
        created_by=principal.subject,
    )
    session.add(grouping)
    await session.flush()
    return grouping


async def current_grouping(
    session: AsyncSession, district_id: uuid.UUID, class_id: uuid.UUID
) -> tuple[ClassGrouping, dict[int, tuple[uuid.UUID, str]]]:
    """The latest grouping made for the class and the activity assigned to each of its groups.

    No roster call: a grouping is stored with its district, so another district's class (or a
    class never grouped) simply has none, and the gateway has already checked the relationship.
    """
    grouping = await repo.latest_grouping(session, district_id, class_id)
    if grouping is None:
        raise NotFound("This class has not been grouped yet.", slug="class-not-grouped")
    return grouping, await repo.group_activities(session, grouping.id)


async def assign(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    class_id: uuid.UUID,
    grouping_id: uuid.UUID,
    assignments: list[tuple[int, uuid.UUID]],
) -> tuple[int, int]:
    """One activity per group; a learner's open step of that skill gets it as a locked choice."""
    grouping = await repo.get_grouping(session, district_id, class_id, grouping_id)
    if grouping is None:
        raise NotFound("No such grouping for this class.", slug="grouping-not-found")
    groups = {g["index"]: g for g in grouping.groups}
    indexes = [i for i, _ in assignments]
    twice = sorted({i for i in indexes if indexes.count(i) > 1})
    if twice:
        raise UnprocessableContent(
            f"One activity per group: group {', '.join(map(str, twice))} is given twice.",
            slug="duplicate-group",
        )
    missing = sorted({i for i, _ in assignments} - set(groups))
    if missing:
        raise UnprocessableContent(
            f"No group with index {', '.join(map(str, missing))}.", slug="group-not-found"
        )
    activities = await activities_repo.get_activities(
        session, district_id, [a for _, a in assignments]
    )
    unknown = sorted({str(a) for _, a in assignments if a not in activities})
    if unknown:
        raise UnprocessableContent(
            "Unknown activities: " + ", ".join(unknown), slug="unknown-activity"
        )
    learner_ids = [uuid.UUID(lid) for i, _ in assignments for lid in groups[i]["learner_ids"]]
    pathways = await pathways_repo.pathways_for_learners(
        session, district_id, learner_ids, lock=True
    )
    steps = await pathways_repo.steps_of_many(session, [p.id for p in pathways.values()])
    # Assigning a group again replaces its earlier assignment rather than adding a second one.
    await repo.clear_assignments(session, grouping.id, indexes)
    assigned = updated = 0
    for index, activity_id in assignments:
        activity = activities[activity_id]
        for lid in groups[index]["learner_ids"]:
            learner = uuid.UUID(lid)
            session.add(
                GroupAssignment(
                    grouping_id=grouping.id,
                    district_id=district_id,
                    group_index=index,
                    learner_id=learner,
                    activity_id=activity_id,
                    assigned_by=principal.subject,
                )
            )
            assigned += 1
            pathway = pathways.get(learner)
            if pathway is None:
                continue
            own = steps.get(pathway.id, [])
            target = next(
                (s for s in own if s.status in OPEN and s.skill_code in activity.skill_codes), None
            )
            if target is None:
                continue
            target.chosen_activity_id = activity_id
            target.choice_locked = True
            # The assigned activity joins the step's board, so the learner sees what was chosen.
            await fill_boards(session, pathway, [target])
            await record_change(
                session,
                pathway,
                own,
                principal,
                "assigned",
                f"group '{groups[index]['label']}' assigned {activity.title}",
            )
            updated += 1
    await session.flush()
    return assigned, updated


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _evidence(row: Mapping[str, Any] | None) -> Evidence:
    if not row:
        return Evidence()
    recent = row.get("recent") or {}
    return Evidence(
        answers_total=int(row.get("answers_total", 0)),
        first_answer_at=_moment(row.get("first_answer_at")),
        last_answer_at=_moment(row.get("last_answer_at")),
        recent=RecentErrors(
            int(recent.get("answers", 0)),
            int(recent.get("observed_wrong", 0)),
            float(recent.get("expected_wrong", 0.0)),
            float(recent.get("variance", 0.0)),
        ),
        runs={
            str(r["skill_code"]): SkillRun(
                str(r["skill_code"]),
                int(r.get("answers", 0)),
                int(r.get("practice_days", 0)),
                float(r.get("p_start", 0.0)),
                float(r.get("p_now", 0.0)),
                bool(r.get("mastered")),
                _moment(r.get("last_at")),
                None if r.get("p_recent") is None else float(r["p_recent"]),
                None if r.get("p_stuck") is None else float(r["p_stuck"]),
                None if r.get("learn_rate") is None else float(r["learn_rate"]),
            )
            for r in row.get("skills") or []
        },
        answers_since_mastery=int(row.get("answers_since_mastery", 0)),
        practice_days_since_mastery=int(row.get("practice_days_since_mastery", 0)),
    )


def goal_loads(pathway: Pathway, steps: Sequence[PathwayStep]) -> list[GoalLoad]:
    """Each goal of the pathway with its open steps (those still to master)."""
    return [
        GoalLoad(
            g.code,
            g.target_date,
            sum(1 for s in steps if g.code in (s.goal_codes or []) and s.status in OPEN),
        )
        for g in goals_of(pathway)
    ]


def prerequisite_p_known(
    graph: DistrictGraph, pathway: Pathway, evidence: Evidence, skill: str | None
) -> dict[str, float]:
    """The current skill's direct prerequisites the learner has evidence on, with P(known): the
    latest answer's where the recent history has one, else the pathway's own record (the last
    mastery event's value, or the plan's). A prerequisite with no evidence at all is left out:
    not known to be a gap."""
    if skill is None or skill not in graph.graph.index:
        return {}
    recorded = (pathway.learner_profile or {}).get("p_known", {})
    found: dict[str, float] = {}
    for code in graph.graph.prerequisites_of(skill):
        run = evidence.runs.get(code)
        if run is not None:
            found[code] = run.p_now
        elif code in recorded:
            found[code] = float(recorded[code])
    return found


async def class_insights(
    session: AsyncSession,
    db: Database,
    upstream: Upstream,
    cache: GraphCache,
    principal: Principal,
    district_id: uuid.UUID,
    class_id: uuid.UUID,
    now: datetime | None = None,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every learner's flags, computed from the evidence now and stored (events on change)."""
    learners = await _roster(upstream, principal, district_id, class_id)
    ids = [uuid.UUID(str(row["id"])) for row in learners]
    # Every learner's pathway, steps and chosen activities in two statements, whatever the size;
    # the district's graph (for the current skills' prerequisites) one more, cached.
    reads = await pathways_repo.pathway_reads(session, district_id, ids)
    graph = await cache.get(session, district_id)
    # The flags as last stored: raised ones hold until their evidence is clearly gone.
    stored_flags = await flags_repo.flags_of(session, district_id, ids)
    held = held_flags(stored_flags)
    evidence = (
        {str(e["learner_id"]): e for e in await upstream.signals(principal, ids)} if ids else {}
    )
    moment = now or utcnow()
    computed: dict[uuid.UUID, list[Flag]] = {}
    for lid in ids:
        found = reads.get(lid)
        pathway = found.pathway if found else None
        own = found.steps if found else []
        activities = found.chosen if found else {}
        current = next((s for s in own if s.status == "ready"), None)
        needs = set((pathway.learner_profile or {}).get("needs", [])) if pathway else set()
        missing: list[str] = []
        if current is not None and current.chosen_activity_id in activities:
            features = set(activities[current.chosen_activity_id].accessibility or [])
            missing = sorted(needs - features)
        found_evidence = _evidence(evidence.get(str(lid)))
        current_skill = current.skill_code if current else None
        signals = LearnerSignals(
            learner_id=str(lid),
            has_pathway=pathway is not None,
            current_skill=current_skill,
            evidence=found_evidence,
            goals=goal_loads(pathway, own) if pathway else [],
            mastered_at=[s.mastered_at for s in own if s.status == "mastered" and s.mastered_at],
            missing_features=missing,
            prerequisites=(
                prerequisite_p_known(graph, pathway, found_evidence, current_skill)
                if pathway
                else {}
            ),
            held=held.get(lid, {}),
        )
        computed[lid] = flag_learner(signals, moment)
    stored = await sync_flags(
        session, db, district_id, computed, class_id, moment, stored=stored_flags
    )
    result = []
    for row, lid in zip(learners, ids, strict=True):
        flags = [flag_out(f) for f in stored.get(lid, [])]
        # Profiles names, per learner, the parts this caller may not see: a flag telling one of
        # them (an accommodation, a goal) is withheld, though it was computed with it.
        result.append((row, visible_flags(flags, row.get("hidden") or [])))
    return result


def flag_out(row: LearnerFlag) -> dict[str, Any]:
    return {
        "code": row.code,
        "detail": row.detail,
        "numbers": dict(row.numbers or {}),
        "raised_at": row.raised_at.isoformat(),
        "dismissed": row.dismissed_at is not None,
        "dismissed_by": row.dismissed_by,
        "dismissal_note": row.dismissal_note,
    }
