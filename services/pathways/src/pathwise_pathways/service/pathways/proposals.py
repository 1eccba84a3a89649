"""A plan the learner drafts: propose, edit (the learner, or a teacher before approving), return
with a comment, approve (docs/pathways.md, "A plan the learner drafts").

Approval plans through the same path as a teacher's draft: ``planning.plan`` with the proposal's
goals (the same planner rules and problems: unknown skills, prerequisite order), recorded as a
version authored by the learner, then ``planning.approve`` makes it active under the approver."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain import proposals as rules
from pathwise_pathways.models import Pathway, PathwayProposal, PathwayProposalRevision, PathwayStep
from pathwise_pathways.repository import activities as activities_repo
from pathwise_pathways.repository import proposals as repo
from pathwise_pathways.service.graph_cache import DistrictGraph, GraphCache
from pathwise_pathways.service.pathways import planning
from pathwise_pathways.service.pathways.history import OPEN, pathway_subject
from pathwise_pathways.service.pathways.read import PathwayView
from pathwise_pathways.service.pathways.replan import replan
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import new_event
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "ProposalContent",
    "ProposalView",
    "approve",
    "edit",
    "get",
    "list_for",
    "propose",
    "return_",
]


@dataclass(frozen=True)
class ProposalContent:
    """What a learner proposes. ``goals`` None: their active goals on the profile."""

    goals: list[tuple[str, date | None]] | None = None
    order: list[str] = field(default_factory=list)
    choices: list[tuple[str, uuid.UUID]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class ProposalView:
    proposal: PathwayProposal
    revisions: list[PathwayProposalRevision]


def _not_found() -> NotFound:
    return NotFound("This learner has no such proposal.", slug="proposal-not-found")


def _require_learner_self(principal: Principal, learner_id: uuid.UUID) -> None:
    """Only the learner proposes or revises their own plan (the gateway admits only students to
    these routes and only for themselves; checked here too, so no other caller path can)."""
    if not principal.has_role("student") or principal.user_id != learner_id:
        raise Forbidden(
            "Only the learner proposes or revises their own plan.", slug="proposal-learner-only"
        )


def _content(p: PathwayProposal) -> dict[str, Any]:
    return {"goals": p.goals, "order": p.order, "choices": p.choices, "note": p.note}


def _revise(
    session: AsyncSession,
    proposal: PathwayProposal,
    principal: Principal,
    change: str,
    comment: str | None = None,
) -> None:
    session.add(
        PathwayProposalRevision(
            proposal_id=proposal.id,
            revision=proposal.version,
            change=change,
            actor=principal.subject,
            actor_role=rules.role_of(principal),
            comment=comment,
            content=_content(proposal),
        )
    )


def _event(kind: str, proposal: PathwayProposal) -> Any:
    return new_event(
        kind,
        district_id=proposal.district_id,
        subject=pathway_subject(proposal.learner_id),
        data={
            "learner_id": str(proposal.learner_id),
            "proposal_id": str(proposal.id),
            "version": proposal.version,
        },
    )


async def _checked(
    session: AsyncSession,
    graph: DistrictGraph,
    district_id: uuid.UUID,
    goals: list[tuple[str, date | None]],
    order: list[str],
    choices: list[tuple[str, uuid.UUID]],
) -> None:
    """The planner's rules, before anything is stored: known skills (422), an order that keeps
    every skill after its prerequisites (409), picks of activities aligned to their skill."""
    if not goals:
        raise UnprocessableContent(
            "No goal skills: give goals or set an active goal with skill codes on your profile.",
            slug="no-goals",
        )
    codes = [c for c, _ in goals] + order + [c for c, _ in choices]
    unknown = rules.unknown_codes(graph.graph, codes)
    if unknown:
        raise UnprocessableContent(
            "Unknown skill codes: " + ", ".join(unknown), slug="unknown-skill-codes", codes=unknown
        )
    rules.check_order(graph.graph, order)
    picked = [c for c, _ in choices]
    if len(set(picked)) != len(picked):
        raise UnprocessableContent(
            "One activity per step: a skill is picked twice.", slug="invalid-choices"
        )
    found = await activities_repo.get_activities(session, district_id, [a for _, a in choices])
    for code, activity_id in choices:
        activity = found.get(activity_id)
        if activity is None or code not in (activity.skill_codes or []):
            raise UnprocessableContent(
                f"Activity {activity_id} is not an activity of {code} in your district.",
                slug="unknown-activity",
                skill_code=code,
                activity_id=str(activity_id),
            )


def _goals_json(goals: list[tuple[str, date | None]]) -> list[dict[str, Any]]:
    merged: dict[str, date | None] = {}
    for code, target in goals:
        if code not in merged or (target and (merged[code] is None or target < merged[code])):  # type: ignore[operator]
            merged[code] = target
    return [
        {"skill_code": c, "target_date": t.isoformat() if t else None} for c, t in merged.items()
    ]


def _goals_of(p: PathwayProposal) -> list[tuple[str, date | None]]:
    return [
        (g["skill_code"], date.fromisoformat(g["target_date"]) if g.get("target_date") else None)
        for g in p.goals
    ]


def _choices_of(p: PathwayProposal) -> list[tuple[str, uuid.UUID]]:
    return [(c["skill_code"], uuid.UUID(c["activity_id"])) for c in p.choices]


async def _profile_goals(
    upstream: Upstream, principal: Principal, learner_id: uuid.UUID
) -> list[tuple[str, date | None]]:
    profile = await upstream.planning_profile(principal, learner_id)
    return [
        (code, date.fromisoformat(g["target_date"]) if g.get("target_date") else None)
        for g in profile.get("goals", [])
        if g.get("status", "active") == "active"
        for code in g.get("skill_codes", [])
    ]


async def _view(session: AsyncSession, proposal: PathwayProposal) -> ProposalView:
    revisions = await repo.revisions_of(session, [proposal.id])
    return ProposalView(proposal, revisions.get(proposal.id, []))


async def propose(
    session: AsyncSession,
    cache: GraphCache,
    upstream: Upstream,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    content: ProposalContent,
) -> ProposalView:
    """The learner's new proposal (``proposed``); one open proposal at a time (409)."""
    _require_learner_self(principal, learner_id)
    goals = content.goals
    if goals is None:
        goals = await _profile_goals(upstream, principal, learner_id)
    graph = await cache.get(session, district_id)
    await _checked(session, graph, district_id, goals, content.order, content.choices)
    existing = await repo.open_proposal(session, district_id, learner_id)
    if existing is not None:
        raise Conflict(
            "You already have a plan waiting for your teacher: edit that one.",
            slug="proposal-open",
            proposal_id=str(existing.id),
        )
    proposal = PathwayProposal(
        district_id=district_id,
        learner_id=learner_id,
        status="proposed",
        version=1,
        goals=_goals_json(goals),
        order=list(content.order),
        choices=[{"skill_code": c, "activity_id": str(a)} for c, a in content.choices],
        note=content.note,
        author=principal.subject,
        author_role=rules.role_of(principal),
    )
    session.add(proposal)
    await session.flush()
    _revise(session, proposal, principal, "proposed")
    await publish(session, _event("pathway.proposed", proposal))
    await session.flush()
    return await _view(session, proposal)


async def _require(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, proposal_id: uuid.UUID
) -> PathwayProposal:
    proposal = await repo.get_proposal(session, district_id, learner_id, proposal_id, lock=True)
    if proposal is None:
        raise _not_found()
    return proposal


async def edit(
    session: AsyncSession,
    cache: GraphCache,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: str | None,
) -> ProposalView:
    """The learner revises their proposal (a returned one is resubmitted: ``proposed`` again,
    ``pathway.proposed``), or a teacher edits it before approving; needs ``If-Match``."""
    learner_edit = principal.has_role("student")
    if learner_edit:
        _require_learner_self(principal, learner_id)
    proposal = await _require(session, district_id, learner_id, proposal_id)
    rules.require_status(proposal.status, rules.EDITABLE, "edited")
    rules.require_match(if_match, proposal.version)
    goals = changes["goals"] if "goals" in changes else _goals_of(proposal)
    order = changes.get("order", proposal.order)
    choices = changes["choices"] if "choices" in changes else _choices_of(proposal)
    graph = await cache.get(session, district_id)
    await _checked(session, graph, district_id, goals, order, choices)
    proposal.goals = _goals_json(goals)
    proposal.order = list(order)
    proposal.choices = [{"skill_code": c, "activity_id": str(a)} for c, a in choices]
    if "note" in changes:
        proposal.note = changes["note"]
    proposal.version += 1
    proposal.updated_at = utcnow()
    resubmitted = learner_edit and proposal.status == "returned"
    if resubmitted:
        proposal.status = "proposed"
    _revise(session, proposal, principal, "resubmitted" if resubmitted else "edited")
    if resubmitted:
        await publish(session, _event("pathway.proposed", proposal))
    await session.flush()
    return await _view(session, proposal)


def _require_not_author(principal: Principal, proposal: PathwayProposal) -> None:
    # The route admits staff only; this holds even for a user who is both (a teacher who is
    # also enrolled as a learner cannot approve a plan they wrote).
    if principal.subject == proposal.author or not principal.has_role(
        "teacher", "school_admin", "district_admin"
    ):
        raise Forbidden(
            "A learner's plan is approved by their teacher, not by its author.",
            slug="own-proposal",
        )


async def return_(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    comment: str,
    if_match: str | None,
) -> ProposalView:
    """Back to the learner with a comment (``returned``, ``pathway.returned``)."""
    proposal = await _require(session, district_id, learner_id, proposal_id)
    _require_not_author(principal, proposal)
    rules.require_status(proposal.status, {"proposed"}, "returned")
    rules.require_match(if_match, proposal.version)
    proposal.status = "returned"
    proposal.version += 1
    proposal.updated_at = utcnow()
    _revise(session, proposal, principal, "returned", comment)
    await publish(session, _event("pathway.returned", proposal))
    await session.flush()
    return await _view(session, proposal)


# Checks (and raises) that an activity may be chosen for the learner: a guardian's consent for
# an off-site activity that needs it (service/consents.py).
ConsentCheck = Callable[[uuid.UUID], Awaitable[None]]


def _arrange(
    session: AsyncSession, proposal: PathwayProposal, consent: ConsentCheck | None
) -> planning.Arrange:
    """The learner's order and picks on the freshly planned steps. A skill of the order that the
    plan does not hold (and that is not mastered) is added as a step, as a teacher's insert is,
    so the planner plans its prerequisites too; the order is then kept as ranks (the planner
    puts ranked steps first, in rank order, and checks prerequisites again). A pick for a skill
    that is no open step any more (mastered since) is left out."""

    async def arrange(
        graph: DistrictGraph, pathway: Pathway, steps: list[PathwayStep]
    ) -> list[PathwayStep]:
        rules.check_order(graph.graph, proposal.order)
        by_code = {s.skill_code: s for s in steps}
        mastered = set(pathway.mastered_codes)
        for code in proposal.order:
            if code in by_code or code in mastered:
                continue
            step = PathwayStep(
                pathway_id=pathway.id,
                skill_code=code,
                title=graph.skills[code].title if code in graph.skills else code,
                position=len(steps),
                status="locked",
                inserted=True,
                pinned=True,
                goal_codes=[],
                board=[],
            )
            session.add(step)
            steps.append(step)
            by_code[code] = step
        for rank, code in enumerate(proposal.order):
            if code in by_code and by_code[code].status in OPEN:
                by_code[code].teacher_rank = rank
        for code, activity_id in _choices_of(proposal):
            picked = by_code.get(code)
            if picked is None or picked.status not in OPEN:
                continue
            if consent is not None:
                await consent(activity_id)
            picked.chosen_activity_id = activity_id
        await session.flush()
        replanned, _, _ = await replan(session, graph, pathway, steps)
        return replanned

    return arrange


async def approve(
    session: AsyncSession,
    cache: GraphCache,
    upstream: Upstream,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    comment: str,
    if_match: str | None,
    consent: ConsentCheck | None = None,
) -> tuple[ProposalView, PathwayView]:
    """The proposal becomes the learner's active pathway: planned from its goals under the
    learner's name, then approved under the approver's (one ``pathway.planned``)."""
    proposal = await _require(session, district_id, learner_id, proposal_id)
    _require_not_author(principal, proposal)
    rules.require_status(proposal.status, {"proposed"}, "approved")
    rules.require_match(if_match, proposal.version)
    learner = Principal(
        subject=proposal.author,
        kind="user",
        district_id=district_id,
        roles=frozenset({proposal.author_role}),
        user_id=learner_id,
    )
    await planning.plan(
        session,
        cache,
        upstream,
        principal,
        district_id,
        learner_id,
        goals=_goals_of(proposal),
        requires_approval=True,
        assume_prior_grades=False,
        reason=proposal.note or "the learner's own plan",
        authored=planning.Authored(
            author=learner,
            change="proposed",
            proposal_id=proposal.id,
            arrange=_arrange(session, proposal, consent),
        ),
    )
    pathway_view = await planning.approve(
        session,
        principal,
        district_id,
        learner_id,
        comment or "the learner's plan, approved",
        proposal_id=proposal.id,
    )
    pathway = pathway_view.pathway
    await publish(
        session,
        planning.planned_event(
            pathway, [g["skill_code"] for g in pathway.goals], len(pathway_view.steps)
        ),
    )
    proposal.status = "approved"
    proposal.version += 1
    proposal.decided_by = principal.subject
    proposal.decided_at = utcnow()
    proposal.pathway_version = pathway.version
    proposal.updated_at = proposal.decided_at
    _revise(session, proposal, principal, "approved", comment or None)
    await session.flush()
    return await _view(session, proposal), pathway_view


async def get(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, proposal_id: uuid.UUID
) -> ProposalView:
    proposal = await repo.get_proposal(session, district_id, learner_id, proposal_id)
    if proposal is None:
        raise _not_found()
    return await _view(session, proposal)


async def list_for(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    limit: int,
    before: uuid.UUID | None,
) -> list[ProposalView]:
    rows = await repo.list_proposals(session, district_id, learner_id, limit, before)
    revisions = await repo.revisions_of(session, [r.id for r in rows])
    return [ProposalView(r, revisions.get(r.id, [])) for r in rows]


def content_changes(
    goals: Sequence[tuple[str, date | None]] | None,
    order: Sequence[str] | None,
    choices: Sequence[tuple[str, uuid.UUID]] | None,
    note: str | None,
) -> dict[str, Any]:
    """The fields an edit gives (None: unchanged)."""
    changes: dict[str, Any] = {}
    if goals is not None:
        changes["goals"] = list(goals)
    if order is not None:
        changes["order"] = list(order)
    if choices is not None:
        changes["choices"] = list(choices)
    if note is not None:
        changes["note"] = note
    return changes
