"""A skill's BKT parameters and mastery threshold in a district: read, and set the threshold.

A new threshold counts from the skill's next scored response (and the next decay sweep): states
already stored are not re-judged at once, so changing it never fires a burst of events.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.bkt import DEFAULT_PARAMS
from pathwise_assessment.domain.mastery import DEFAULT_THRESHOLD
from pathwise_assessment.repository import mastery as repo
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.timeutil import utcnow

__all__ = ["SkillParamsView", "read_params", "set_threshold"]


@dataclass(frozen=True)
class SkillParamsView:
    skill_code: str
    prior: float
    learn: float
    guess: float
    slip: float
    forget: float
    threshold: float
    source: str
    response_count: int
    updated_at: datetime | None


async def read_params(
    session: AsyncSession, principal: Principal, skill_code: str
) -> SkillParamsView:
    """The stored parameters, or the defaults every new skill starts from."""
    row = (await repo.params_for(session, principal.require_district(), [skill_code])).get(
        skill_code
    )
    if row is None:
        d = DEFAULT_PARAMS
        return SkillParamsView(
            skill_code,
            d.prior,
            d.learn,
            d.guess,
            d.slip,
            d.forget,
            DEFAULT_THRESHOLD,
            "default",
            0,
            None,
        )
    return SkillParamsView(
        row.skill_code,
        row.prior,
        row.learn,
        row.guess,
        row.slip,
        row.forget,
        row.threshold,
        row.source,
        row.response_count,
        row.updated_at,
    )


async def set_threshold(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    skill_code: str,
    threshold: float,
) -> SkillParamsView:
    district_id = principal.require_district()
    await upstreams.require_known_skills(principal, [skill_code])
    existing = (await repo.params_for(session, district_id, [skill_code])).get(skill_code)
    fields: dict[str, object] = {"threshold": threshold, "updated_at": utcnow()}
    if existing is None:
        d = DEFAULT_PARAMS
        fields |= {
            "prior": d.prior,
            "learn": d.learn,
            "guess": d.guess,
            "slip": d.slip,
            "forget": d.forget,
            "source": "default",
            "response_count": 0,
        }
    await repo.upsert_params(session, district_id, {skill_code: fields})
    return await read_params(session, principal, skill_code)
