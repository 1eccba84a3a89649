"""Plan (or replan from scratch) a learner's pathway from the live profile and mastery, and
approve a draft."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.ranking import accessibility_needs
from pathwise_pathways.models import Pathway, PathwayStep
from pathwise_pathways.repository import pathways as repo
from pathwise_pathways.service.graph_cache import DistrictGraph, GraphCache
from pathwise_pathways.service.pathways.goal_sync import push_goal_progress
from pathwise_pathways.service.pathways.history import (
    flush_or_conflict,
    pathway_subject,
    record_change,
)
from pathwise_pathways.service.pathways.read import PathwayView, require_pathway, view
from pathwise_pathways.service.pathways.replan import replan
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import new_event
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent

__all__ = ["Authored", "approve", "grade_rank", "plan", "planned_event"]

# Rearranges the freshly planned steps (a learner's order and picks) before the version is
# recorded; returns the steps after it.
Arrange = Callable[[DistrictGraph, Pathway, list[PathwayStep]], Awaitable[list[PathwayStep]]]


@dataclass(frozen=True)
class Authored:
    """A plan written by someone other than the caller: the learner whose proposal a teacher
    approves. The version is recorded under the author; ``arrange`` applies their order and
    picks; no ``pathway.planned`` is published here (the approval publishes it once active)."""

    author: Principal
    change: str
    proposal_id: uuid.UUID
    arrange: Arrange


def planned_event(pathway: Pathway, goal_codes: list[str], steps: int) -> Any:
    return new_event(
        "pathway.planned",
        district_id=pathway.district_id,
        subject=pathway_subject(pathway.learner_id),
        data={
            "learner_id": str(pathway.learner_id),
            "pathway_id": str(pathway.id),
            "version": pathway.version,
            "status": pathway.status,
            "goal_codes": goal_codes,
            "steps": steps,
        },
    )


def grade_rank(grade: str | None) -> int | None:
    if grade is None:
        return None
    value = grade.strip().upper()
    if value in {"K", "KG"}:
        return 0
    if value.startswith("HS") or value in {"9", "10", "11", "12"}:
        return 9
    return int(value) if value.isdigit() else None


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
    authored: Authored | None = None,
) -> PathwayView:
    """Plan (or replan from scratch) a learner's pathway from live profile and mastery."""
    profile = await upstream.planning_profile(principal, learner_id)
    if str(profile.get("district_id")) != str(district_id):
        raise NotFound("No such learner in your district.", slug="learner-not-found")
    mastery, placed = await asyncio.gather(
        upstream.mastery(principal, learner_id), upstream.placements(principal, learner_id)
    )
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
            placements={},
            unplaced={},
        )
        session.add(pathway)
        await flush_or_conflict(session)
        existing: list[PathwayStep] = []
    else:
        existing = await repo.steps_of(session, pathway.id)
    pathway.goals = [
        {"skill_code": c, "target_date": t.isoformat() if t else None} for c, t in merged.items()
    ]
    pathway.mastered_codes = sorted(c for c, m in evidence.items() if m.get("mastered"))
    # Placement is pulled at every plan, like mastery: the newest diagnostic per skill wins, and
    # a teacher's un-placing holds until another diagnostic places the skill again (replan).
    pathway.placements = {p["skill_code"]: p for p in placed if p.get("skill_code") in graph.skills}
    pathway.unplaced = {
        code: attempt
        for code, attempt in (pathway.unplaced or {}).items()
        if code in pathway.placements and pathway.placements[code]["attempt_id"] == attempt
    }
    # Kept across replans: an event older than one already applied stays stale.
    snapshot["mastery_event_at"] = dict((pathway.learner_profile or {}).get("mastery_event_at", {}))
    pathway.learner_profile = snapshot
    if requires_approval:
        pathway.status = "draft"
        pathway.approved_by = None
    steps, _, _ = await replan(session, graph, pathway, existing)
    if authored is not None:
        steps = await authored.arrange(graph, pathway, steps)
        await record_change(
            session,
            pathway,
            steps,
            authored.author,
            authored.change,
            reason,
            proposal_id=authored.proposal_id,
        )
    else:
        await record_change(
            session, pathway, steps, principal, "planned" if created else "replanned", reason
        )
        await publish(session, planned_event(pathway, list(merged), len(steps)))
    await push_goal_progress(session, upstream, district_id, pathway)
    return await view(session, pathway)


async def approve(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    reason: str,
    *,
    proposal_id: uuid.UUID | None = None,
) -> PathwayView:
    """draft → active."""
    pathway = await require_pathway(session, district_id, learner_id, lock=True)
    if pathway.status != "draft":
        raise Conflict("The pathway is already active.", slug="pathway-not-draft")
    pathway.status = "active"
    pathway.approved_by = principal.subject
    steps = await repo.steps_of(session, pathway.id)
    await record_change(
        session, pathway, steps, principal, "approved", reason, proposal_id=proposal_id
    )
    return await view(session, pathway)
