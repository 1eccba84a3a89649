"""Adaptive and diagnostic attempts: the next item to show (2PL information, randomesque
exposure control) or done."""

import uuid

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import irt
from pathwise_assessment.domain.rows import VersionRow
from pathwise_assessment.repository import attempts as repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.service.attempt_views import (
    ADAPTIVE_KINDS,
    ADAPTIVE_MAX_ITEMS,
    ADAPTIVE_TARGET_SE,
    EXPOSURE_TOP_K,
    AttemptView,
    ability_of,
    locked_attempt,
    require_open,
    view_with,
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
) -> tuple[AttemptView, VersionRow | None, irt.Ability, bool]:
    """The item to answer next in an adaptive/diagnostic attempt, or done.

    The bank's (a, b) arrays of the skill set come from a cache dropped on every item write
    (``items_repo.cached_bank``); the attempt's items are masked out, not filtered in SQL.
    """
    await begin_write(session)  # it may add the item to the attempt: read and write as one
    attempt, assessment = await locked_attempt(session, principal, attempt_id)
    if assessment.kind not in ADAPTIVE_KINDS:
        raise Conflict(
            "Only adaptive and diagnostic attempts serve items one by one.", slug="not-adaptive"
        )
    require_open(attempt, utcnow())
    view = await view_with(session, attempt, assessment)
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
    bank = await items_repo.cached_bank(session, attempt.district_id, assessment.skill_codes)
    used = np.zeros(len(bank.version_ids), dtype=bool)
    for _, shown in view.items:
        index = bank.index_of_item.get(shown.item_id)
        if index is not None:
            used[index] = True
    if used.all():
        return view, None, ability, True
    chosen = irt.select_next(ability.theta, bank.a, bank.b, used, top_k=EXPOSURE_TOP_K, rng=rng)
    if chosen is None:
        return view, None, ability, True
    version_id = uuid.UUID(bank.version_ids[chosen])
    version = (await items_repo.version_rows(session, [version_id]))[version_id]
    await repo.add_attempt_items(session, attempt.id, [version], start=len(view.items))
    view.items.append((len(view.items), version))
    return view, version, ability, False
