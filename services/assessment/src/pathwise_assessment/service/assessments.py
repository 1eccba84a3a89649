"""Assessments: skill checks and summative forms (fixed items), adaptive and diagnostic (a bank)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.models import Assessment
from pathwise_assessment.repository import assessments as repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.schemas.assessments import AssessmentCreate, AssessmentUpdate
from pathwise_assessment.service.keys import first_with_key
from pathwise_assessment.service.ownership import new_owner, owner_of, require_change_right
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.idempotency import IdempotentRequest, check_same_request, stored_columns
from pathwise_shared.ids import new_id
from pathwise_shared.problems import NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = ["create_assessment", "get_assessment", "list_assessments", "update_assessment"]

FIXED_KINDS = frozenset({"skill_check", "summative"})


async def create_assessment(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    body: AssessmentCreate,
    idempotency: IdempotentRequest | None,
) -> tuple[tuple[Assessment, list[uuid.UUID]], bool]:
    district_id = principal.require_district()
    if idempotency is not None:
        existing = await repo.get_assessment_by_key(session, district_id, idempotency.key)
        if existing is not None:
            check_same_request(existing.request_hash, idempotency)
            return (existing, await repo.assessment_item_ids(session, existing.id)), False
    skills = list(dict.fromkeys(body.skill_codes))
    item_ids = list(dict.fromkeys(body.item_ids))
    if body.kind == "skill_check" and len(skills) > 3:
        raise UnprocessableContent("A skill check covers 1 to 3 skills.", slug="too-many-skills")
    if body.kind in FIXED_KINDS:
        if not item_ids:
            raise UnprocessableContent(f"A {body.kind} needs item_ids.", slug="no-items")
        if body.max_items is not None or body.target_se is not None:
            raise UnprocessableContent(
                "max_items and target_se are for adaptive and diagnostic assessments.",
                slug="adaptive-only",
            )
        for item_id in item_ids:
            found = await items_repo.get_item(session, district_id, item_id)
            if found is None:
                raise UnprocessableContent(
                    f"No item {item_id} in this district.", slug="unknown-item"
                )
            if not set(found[1].skill_codes) & set(skills):
                raise UnprocessableContent(
                    f"Item {item_id} is not aligned to any skill of the assessment.",
                    slug="item-not-aligned",
                )
    elif item_ids:
        raise UnprocessableContent(
            "Adaptive and diagnostic assessments draw from the item bank: give no item_ids.",
            slug="bank-only",
        )
    await upstreams.require_known_skills(principal, skills)
    owner = await new_owner(upstreams, principal)
    assessment = Assessment(
        id=new_id(),
        district_id=district_id,
        kind=body.kind,
        title=body.title,
        skill_codes=skills,
        time_limit_seconds=body.time_limit_seconds,
        max_items=body.max_items if body.kind not in FIXED_KINDS else None,
        target_se=body.target_se if body.kind not in FIXED_KINDS else None,
        created_by=principal.subject,
        created_at=utcnow(),
        **stored_columns(idempotency),
        owner_id=owner.id,
        owner_school_id=owner.school_id,
    )
    async with first_with_key(session, idempotency):
        await repo.add_assessment(session, assessment, item_ids)
    return (assessment, item_ids), True


async def get_assessment(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID
) -> tuple[Assessment, list[uuid.UUID]]:
    found = await repo.get_assessment(session, principal.require_district(), assessment_id)
    if found is None:
        raise NotFound("No such assessment.", slug="assessment-not-found")
    return found, await repo.assessment_item_ids(session, found.id)


async def list_assessments(
    session: AsyncSession, principal: Principal, after: uuid.UUID | None, limit: int
) -> list[Assessment]:
    return await repo.list_assessments(
        session, principal.require_district(), after=after, limit=limit
    )


async def update_assessment(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    assessment_id: uuid.UUID,
    body: AssessmentUpdate,
) -> tuple[Assessment, list[uuid.UUID]]:
    """Title, time limit, adaptive stopping rule; attempts already started keep their deadline."""
    assessment, item_ids = await get_assessment(session, principal, assessment_id)
    await require_change_right(upstreams, principal, owner_of(assessment), "assessment")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("title", "") is None:
        raise UnprocessableContent("title cannot be null.", slug="null-field")
    adaptive_only = sorted(k for k in ("max_items", "target_se") if k in changes)
    if adaptive_only and assessment.kind in FIXED_KINDS:
        raise UnprocessableContent(
            "max_items and target_se are for adaptive and diagnostic assessments.",
            slug="adaptive-only",
        )
    for name, value in changes.items():
        setattr(assessment, name, value)
    await session.flush()
    return assessment, item_ids
