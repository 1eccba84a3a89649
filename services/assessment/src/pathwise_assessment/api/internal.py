"""Internal operations for pathways and the gateway (docs/contracts.md, "assessment")."""

import uuid

from fastapi import APIRouter, Depends

from pathwise_assessment.api.mastery import skill_mastery
from pathwise_assessment.schemas.attempts import ObjectOwner
from pathwise_assessment.schemas.evidence import EvidenceIn, EvidenceOut
from pathwise_assessment.schemas.mastery import (
    LearnerMastery,
    MasteryQuery,
    MasteryQueryOut,
    MasteryRow,
)
from pathwise_assessment.schemas.placements import LearnerPlacements, PlacedSkillOut
from pathwise_assessment.schemas.signals import LearnerSignalsOut, SignalsOut, SignalsQuery
from pathwise_assessment.service import attempts as attempts_service
from pathwise_assessment.service import evidence as evidence_service
from pathwise_assessment.service import mastery_read as service
from pathwise_assessment.service import motivation as motivation_service
from pathwise_assessment.service import placements as placements_service
from pathwise_assessment.service import signals as signals_service
from pathwise_shared.access import role_guard
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.events import EventEnvelope
from pathwise_shared.problems import problem_responses
from pathwise_shared.subscriber import add_batch_route

__all__ = ["router"]

router = APIRouter(
    prefix="/internal", tags=["internal"], responses=problem_responses(401, 403, 422)
)


@router.get("/learners/{learner_id}/mastery", response_model=LearnerMastery)
async def internal_learner_mastery(
    learner_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> LearnerMastery:
    states = await service.learner_mastery(session, principal, learner_id)
    return LearnerMastery(learner_id=learner_id, skills=[skill_mastery(s) for s in states])


@router.get("/learners/{learner_id}/placements", response_model=LearnerPlacements)
async def internal_learner_placements(
    learner_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> LearnerPlacements:
    """The skills the learner's diagnostics placed, with their evidence: pathways reads them when
    it (re)plans (docs/pathways.md, "Placement")."""
    placed = await placements_service.learner_placements(session, principal, learner_id)
    return LearnerPlacements(
        learner_id=learner_id,
        skills=[PlacedSkillOut.model_validate(p, from_attributes=True) for p in placed],
    )


@router.post("/mastery/query", response_model=MasteryQueryOut)
async def internal_mastery_query(
    body: MasteryQuery, session: DbSession, principal: CurrentPrincipal
) -> MasteryQueryOut:
    states = await service.query_mastery(session, principal, body.learner_ids, body.skill_codes)
    return MasteryQueryOut(
        items=[MasteryRow(learner_id=s.learner_id, **skill_mastery(s).model_dump()) for s in states]
    )


@router.post("/signals", response_model=SignalsOut)
async def internal_learner_signals(
    body: SignalsQuery, session: DbSession, principal: CurrentPrincipal
) -> SignalsOut:
    """Evidence numbers per learner for pathways' early warnings (docs/contracts.md)."""
    found = await signals_service.learner_signals(session, principal, body.learner_ids)
    return SignalsOut(
        learners=[LearnerSignalsOut.model_validate(e, from_attributes=True) for e in found]
    )


@router.get(
    "/owners/attempt/{attempt_id}", response_model=ObjectOwner, responses=problem_responses(404)
)
async def attempt_owner(
    attempt_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ObjectOwner:
    """The learner an attempt belongs to, in the caller's district: the gateway checks the
    caller's relation to that learner before it forwards any call about the attempt."""
    return ObjectOwner(
        learner_id=await attempts_service.attempt_owner(session, principal, attempt_id)
    )


@router.post(
    "/learners/{learner_id}/evidence",
    response_model=EvidenceOut,
    responses=problem_responses(409),
    # Only our own system principals: pathways, when a teacher scores a step's evidence.
    dependencies=[Depends(role_guard((), ()))],
)
async def record_evidence(
    learner_id: uuid.UUID, body: EvidenceIn, session: DbSession, principal: CurrentPrincipal
) -> EvidenceOut:
    """A teacher's rubric score of the learner's own work as mastery evidence, like a
    rubric-scored response (docs/assessment.md, "Evidence from pathways"). Idempotent on
    ``evidence_id``: the same call again answers ``recorded: false`` and changes nothing; the
    same id with another score is a 409."""
    found = await evidence_service.record_scored_work(
        session,
        principal,
        learner_id,
        evidence_id=body.evidence_id,
        skill_code=body.skill_code,
        fraction=body.fraction,
        scored_by=body.scored_by,
        source=body.source,
    )
    r = found.record
    return EvidenceOut(
        evidence_id=r.id,
        learner_id=r.learner_id,
        skill_code=r.skill_code,
        fraction=r.fraction,
        correct=r.correct,
        recorded=found.recorded,
    )


@router.post("/events")
async def receive_event(
    envelope: EventEnvelope, session: DbSession, principal: CurrentPrincipal
) -> dict[str, str]:
    """Event subscriber (the gateway's fan-out): ``learner.flagged`` and ``learner.unflagged``
    are kept for the comeback badge (docs/assessment.md, "Motivation"). Idempotent on the event
    id: a redelivery answers 200 ``duplicate`` and changes nothing."""
    return {"status": await motivation_service.receive_event(session, principal, envelope)}


add_batch_route(router, motivation_service.receive_event)
