"""Goal progress pushed to profiles, so the profile's goal ``progress`` is mastery's, not a
number typed by hand (docs/profiles.md, "Goals").

Pushed when it can move: after a plan and after a ``mastery.changed`` that advanced or reopened a
step. Profiles' own read never calls us. A push that fails is logged and dropped: the pathway
change it follows has happened, and the next one pushes the whole state again (it is a snapshot,
not a delta).
"""

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.pace import goal_progress
from pathwise_pathways.models import Pathway
from pathwise_pathways.repository import pathways as repo
from pathwise_pathways.service.pathways.replan import goals_of
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal

__all__ = ["push_goal_progress"]

log = logging.getLogger(__name__)


async def push_goal_progress(
    session: AsyncSession, upstream: Upstream, district_id: uuid.UUID, pathway: Pathway
) -> None:
    steps = await repo.steps_of(session, pathway.id)
    found = goal_progress(
        [(s.skill_code, s.status, s.goal_codes or []) for s in steps],
        [(g.code, g.target_date) for g in goals_of(pathway)],
    )
    acting = Principal(
        subject="system:pathways-goal-progress", kind="system", district_id=district_id
    )
    try:
        await upstream.push_goal_progress(
            acting,
            pathway.learner_id,
            [
                {"skill_code": g.skill_code, "needed": g.needed, "done": g.mastered + g.placed}
                for g in found
            ],
        )
    except Exception:
        log.warning("goal progress not pushed to profiles", exc_info=True)
