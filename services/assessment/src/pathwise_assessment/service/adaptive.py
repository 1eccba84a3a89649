"""Adaptive and diagnostic attempts: the next item to show (2PL information, randomesque
exposure control) or done."""

import uuid

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import irt
from pathwise_assessment.models import ItemVersion
from pathwise_assessment.repository import attempts as repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.service.attempt_views import (
    ADAPTIVE_KINDS,
    ADAPTIVE_MAX_ITEMS,
    ADAPTIVE_TARGET_SE,
    EXPOSURE_TOP_K,
    AttemptView,
    ability_of,
    assessment_of,
    attempt_for,
    require_open,
    view_of,
)
from pathwise_shared.auth import Principal
from pathwise_shared.db import begin_write
from pathwise_shared.problems import Conflict
from pathwise_shared.timeutil import utcnow

__all__ = ["next_item"]


async def next_item(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    rng: np.random.Generator | None = None,
) -> tuple[AttemptView, ItemVersion | None, irt.Ability, bool]:
    """The item to answer next in an adaptive/diagnostic attempt, or done."""
    await begin_write(session)  # it may add the item to the attempt: read and write as one
    attempt = await attempt_for(session, principal, attempt_id, lock=True)
    assessment = await assessment_of(session, attempt)
    if assessment.kind not in ADAPTIVE_KINDS:
        raise Conflict(
            "Only adaptive and diagnostic attempts serve items one by one.", slug="not-adaptive"
        )
    require_open(attempt, utcnow())
    view = await view_of(session, attempt)
    answered = {r.item_id for r in view.responses}
    ability = ability_of(view)
    for _, version in view.items:
        if version.item_id not in answered:
            return view, version, ability, False
    stop = irt.should_stop(
        ability,
        len(view.responses),
        target_se=assessment.target_se or ADAPTIVE_TARGET_SE,
        max_items=assessment.max_items or ADAPTIVE_MAX_ITEMS,
    )
    if stop:
        return view, None, ability, True
    bank = await items_repo.bank_for_skills(
        session, attempt.district_id, assessment.skill_codes, {v.item_id for _, v in view.items}
    )
    if not bank:
        return view, None, ability, True
    a = np.fromiter((row[1] for row in bank), dtype=np.float64, count=len(bank))
    b = np.fromiter((row[2] for row in bank), dtype=np.float64, count=len(bank))
    chosen = irt.select_next(
        ability.theta, a, b, np.zeros(len(bank), dtype=bool), top_k=EXPOSURE_TOP_K, rng=rng
    )
    if chosen is None:
        return view, None, ability, True
    version_id = uuid.UUID(bank[chosen][0])
    version = (await items_repo.versions_by_id(session, [version_id]))[version_id]
    await repo.add_attempt_items(session, attempt.id, [version], start=len(view.items))
    view.items.append((len(view.items), version))
    return view, version, ability, False
