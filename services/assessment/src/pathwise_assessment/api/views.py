"""ORM rows → response bodies (the one place that decides what a student may see)."""

import uuid

from pathwise_assessment.domain.items import public_spec
from pathwise_assessment.domain.rows import ResponseRow, VersionRow
from pathwise_assessment.models import Assessment, Item, ItemVersion, MasteryFit
from pathwise_assessment.schemas.assessments import AssessmentOut
from pathwise_assessment.schemas.attempts import Ability, AttemptItemOut, AttemptOut, ResponseOut
from pathwise_assessment.schemas.common import OwnerOut
from pathwise_assessment.schemas.fits import FitOut
from pathwise_assessment.schemas.items import ItemOut
from pathwise_assessment.service.access import can_see_keys
from pathwise_assessment.service.attempt_views import AttemptView
from pathwise_shared.access import STAFF
from pathwise_shared.auth import Principal

__all__ = [
    "assessment_out",
    "attempt_item_out",
    "attempt_out",
    "fit_out",
    "item_out",
    "owner_out",
    "response_out",
    "shows_time_factor",
]


def owner_out(row: Item | Assessment) -> OwnerOut:
    return OwnerOut(id=row.owner_id, school_id=row.owner_school_id)


def shows_time_factor(principal: Principal, learner_id: uuid.UUID) -> bool:
    """Whether this reader is shown an attempt's extended-time factor.

    The factor is an accommodation. Staff (the learner's teachers and admins, and our own jobs)
    always see accommodations; staff may hide them from the student and guardians, and clients
    never see them. Rather than ask profiles on every attempt read, only staff are shown the
    factor; everyone gets ``deadline_at``, which a timed attempt needs (docs/profiles.md).
    """
    if principal.is_system:
        return True
    if principal.kind != "user" or principal.user_id == learner_id:
        return False
    return principal.has_role(*STAFF)


def item_out(item: Item, version: ItemVersion) -> ItemOut:
    return ItemOut(
        id=item.id,
        version=version.version,
        type=version.type,
        status=item.status,
        stem=version.stem,
        skill_codes=version.skill_codes,
        points=version.points,
        difficulty=version.difficulty,
        discrimination=version.discrimination,
        spec=version.spec,
        owner=owner_out(item),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def assessment_out(assessment: Assessment, item_ids: list[uuid.UUID]) -> AssessmentOut:
    return AssessmentOut(
        id=assessment.id,
        kind=assessment.kind,
        title=assessment.title,
        skill_codes=assessment.skill_codes,
        item_ids=item_ids,
        time_limit_seconds=assessment.time_limit_seconds,
        max_items=assessment.max_items,
        target_se=assessment.target_se,
        owner=owner_out(assessment),
        created_at=assessment.created_at,
    )


def attempt_item_out(position: int, version: VersionRow, reveal: bool) -> AttemptItemOut:
    return AttemptItemOut(
        item_id=version.item_id,
        version=version.version,
        position=position,
        type=version.type,
        stem=version.stem,
        points=version.points,
        skill_codes=version.skill_codes,
        spec=version.spec if reveal else public_spec(version.spec),
    )


def response_out(response: ResponseRow, reveal: bool) -> ResponseOut:
    if not reveal:
        return ResponseOut(
            id=response.id,
            item_id=response.item_id,
            status="recorded",
            answer=response.answer,
            created_at=response.created_at,
        )
    return ResponseOut(
        id=response.id,
        item_id=response.item_id,
        status="scored" if response.status == "scored" else "pending",
        answer=response.answer,
        earned=response.earned if response.status == "scored" else None,
        possible=response.possible,
        correct=response.correct,
        created_at=response.created_at,
    )


def attempt_out(view: AttemptView, principal: Principal) -> AttemptOut:
    attempt = view.attempt
    finished = attempt.status == "finished"
    reveal = can_see_keys(principal, finished)
    ability = (
        Ability(theta=attempt.theta, se=attempt.theta_se)
        if reveal and attempt.theta is not None and attempt.theta_se is not None
        else None
    )
    return AttemptOut(
        id=attempt.id,
        assessment_id=attempt.assessment_id,
        kind=view.assessment.kind,
        learner_id=attempt.learner_id,
        status=attempt.status,
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        finished_at=attempt.finished_at,
        time_factor=(
            attempt.time_factor if shows_time_factor(principal, attempt.learner_id) else None
        ),
        items=[attempt_item_out(p, v, reveal) for p, v in view.items],
        responses=[response_out(r, reveal) for r in view.responses],
        score=attempt.score if reveal else None,
        max_score=attempt.max_score if reveal else None,
        results=attempt.results if reveal else None,
        ability=ability,
    )


def fit_out(fit: MasteryFit) -> FitOut:
    return FitOut(
        id=fit.id,
        status=fit.status,
        min_responses=fit.min_responses,
        response_count=fit.response_count,
        skill_count=fit.skill_count,
        results=fit.results,
        report=(fit.results or {}).get("report"),
        district=(fit.results or {}).get("district"),
        error=fit.error,
        created_at=fit.created_at,
        finished_at=fit.finished_at,
    )
