"""``/v1/learners/{learner_id}/pathway/proposals``: a plan the learner drafts, and their
teacher's return or approval (docs/pathways.md, "A plan the learner drafts")."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from pathwise_pathways.api.deps import (
    Cache,
    ConsentPolicy,
    DatabaseDep,
    DistrictId,
    HiddenParts,
    UpstreamDep,
)
from pathwise_pathways.api.pathways import pathway_out
from pathwise_pathways.domain.proposals import proposal_etag
from pathwise_pathways.schemas.pathways import GoalIn
from pathwise_pathways.schemas.proposals import (
    ChoiceIn,
    ProposalCreate,
    ProposalDecision,
    ProposalOut,
    ProposalPatch,
    ProposalReturn,
    RevisionOut,
)
from pathwise_pathways.service import consents
from pathwise_pathways.service.pathways import proposals as service
from pathwise_shared.access import STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/learners/{learner_id}/pathway/proposals", tags=["pathways"])

LEARNER = frozenset({"student"})
IfMatch = Annotated[
    str | None, Header(max_length=200, description="the ETag of the proposal you read")
]


def _rule(roles: frozenset[str], write: bool, *errors: int) -> dict[str, Any]:
    # Clients have no say in a learner's plan: it is between the learner and their teachers.
    rule = access(
        roles=roles,
        scopes=set() if write else {"pathways:read", "pathways:write"},
        action="write" if write else "read",
        learner="learner_id",
    )
    rule["responses"] = {**rule.get("responses", {}), **problem_responses(*errors)}
    return rule


def _goals(goals: list[GoalIn] | None) -> list[Any] | None:
    return None if goals is None else [(g.skill_code, g.target_date) for g in goals]


def _choices(choices: list[ChoiceIn] | None) -> list[Any] | None:
    return None if choices is None else [(c.skill_code, c.activity_id) for c in choices]


def _out(v: service.ProposalView) -> ProposalOut:
    p = v.proposal
    return ProposalOut(
        id=p.id,
        learner_id=p.learner_id,
        status=p.status,
        version=p.version,
        etag=proposal_etag(p.version),
        goals=p.goals,
        order=p.order,
        choices=p.choices,
        note=p.note,
        author=p.author,
        author_role=p.author_role,
        decided_by=p.decided_by,
        decided_at=p.decided_at,
        pathway_version=p.pathway_version,
        created_at=p.created_at,
        updated_at=p.updated_at,
        revisions=[
            RevisionOut(
                revision=r.revision,
                change=r.change,
                actor=r.actor,
                actor_role=r.actor_role,
                comment=r.comment,
                content=r.content,
                created_at=r.created_at,
            )
            for r in v.revisions
        ],
    )


@router.post(
    "",
    response_model=ProposalOut,
    status_code=status.HTTP_201_CREATED,
    **_rule(LEARNER, True, 409, 422),
)
async def propose_plan(
    learner_id: uuid.UUID,
    body: ProposalCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    cache: Cache,
    upstream: UpstreamDep,
    response: Response,
) -> ProposalOut:
    """The learner proposes a plan for themself: goal skills (omitted: their active goals), an
    order of steps, activity picks. It waits, ``proposed``, for their teacher."""
    content = service.ProposalContent(
        goals=_goals(body.goals),
        order=list(body.order),
        choices=_choices(body.choices) or [],
        note=body.note,
    )
    found = await service.propose(
        session, cache, upstream, principal, district_id, learner_id, content
    )
    response.headers["ETag"] = proposal_etag(found.proposal.version)
    return _out(found)


@router.get("", response_model=Page[ProposalOut], **_rule(STAFF | LEARNER, False))
async def list_proposals(
    learner_id: uuid.UUID,
    session: DbSession,
    district_id: DistrictId,
    limit: LimitParam = 20,
    cursor: CursorParam = None,
) -> Page[ProposalOut]:
    """Newest first, each with every revision (who, in which role, the comment)."""
    rows = await service.list_for(session, district_id, learner_id, limit, decode_id_cursor(cursor))
    return page_of(rows, limit, lambda v: (v.proposal.id,), _out)


@router.get("/{proposal_id}", response_model=ProposalOut, **_rule(STAFF | LEARNER, False, 404))
async def get_proposal(
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    session: DbSession,
    district_id: DistrictId,
    response: Response,
) -> ProposalOut:
    found = await service.get(session, district_id, learner_id, proposal_id)
    response.headers["ETag"] = proposal_etag(found.proposal.version)
    return _out(found)


@router.patch(
    "/{proposal_id}",
    response_model=ProposalOut,
    **_rule(STAFF | LEARNER, True, 404, 409, 412, 422, 428),
)
async def edit_proposal(
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: ProposalPatch,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    cache: Cache,
    response: Response,
    if_match: IfMatch = None,
) -> ProposalOut:
    """The learner revises (a returned proposal is resubmitted), or a teacher edits before
    approving. ``If-Match``: 428 without, 412 stale."""
    changes = service.content_changes(
        _goals(body.goals), body.order, _choices(body.choices), body.note
    )
    found = await service.edit(
        session, cache, principal, district_id, learner_id, proposal_id, changes, if_match
    )
    response.headers["ETag"] = proposal_etag(found.proposal.version)
    return _out(found)


@router.post(
    "/{proposal_id}/return",
    response_model=ProposalOut,
    **_rule(STAFF, True, 404, 409, 412, 428),
)
async def return_proposal(
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: ProposalReturn,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    response: Response,
    if_match: IfMatch = None,
) -> ProposalOut:
    """Back to the learner with a comment, to revise and resubmit."""
    found = await service.return_(
        session, principal, district_id, learner_id, proposal_id, body.comment, if_match
    )
    response.headers["ETag"] = proposal_etag(found.proposal.version)
    return _out(found)


@router.post(
    "/{proposal_id}/approve",
    response_model=ProposalOut,
    **_rule(STAFF, True, 404, 409, 412, 422, 428),
)
async def approve_proposal(
    learner_id: uuid.UUID,
    proposal_id: uuid.UUID,
    body: ProposalDecision,
    session: DbSession,
    principal: CurrentPrincipal,
    district_id: DistrictId,
    cache: Cache,
    upstream: UpstreamDep,
    hidden: HiddenParts,
    policy: ConsentPolicy,
    response: Response,
    db: DatabaseDep,
    if_match: IfMatch = None,
) -> ProposalOut:
    """The plan becomes the learner's active pathway (the planner's rules apply as to any
    plan); the version history names the learner as its author and the approver after. A
    chosen off-site activity without its guardian's consent is 409 (and, the first time, asks
    the guardians: ``consent.requested``)."""
    try:
        found, pathway = await service.approve(
            session,
            cache,
            upstream,
            principal,
            district_id,
            learner_id,
            proposal_id,
            body.comment,
            if_match,
            consent=consents.checker(session, district_id, learner_id, policy),
        )
    except consents.ConsentRequired as refused:
        await consents.ask_guardians(db, refused, refused_in=session)
        raise
    response.headers["ETag"] = proposal_etag(found.proposal.version)
    out = _out(found)
    out.pathway = pathway_out(pathway, hidden)
    return out
