"""/v1/learners/{learner_id}/motivation…: one learner's points, streak and badges (no list of
learners, no ranking: nothing here takes more than one learner)."""

import uuid

from fastapi import APIRouter

from pathwise_assessment.domain.motivation import BADGES, MASTERY_POINTS, PRACTICE_POINTS
from pathwise_assessment.schemas.motivation import (
    BadgeOut,
    MotivationOut,
    MotivationPreferenceIn,
    MotivationPreferenceOut,
)
from pathwise_assessment.service import motivation as service
from pathwise_shared.access import ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal

__all__ = ["router"]

router = APIRouter(tags=["motivation"])


def _out(view: service.MotivationView) -> MotivationOut:
    if view.streak is None:
        return MotivationOut(learner_id=view.learner_id, hidden=view.hidden)
    return MotivationOut(
        learner_id=view.learner_id,
        hidden=view.hidden,
        points=PRACTICE_POINTS * view.answered + MASTERY_POINTS * view.skills_mastered,
        practice_points=PRACTICE_POINTS * view.answered,
        mastery_points=MASTERY_POINTS * view.skills_mastered,
        answered_items=view.answered,
        skills_mastered=view.skills_mastered,
        streak_days=view.streak.current,
        longest_streak_days=view.streak.longest,
        last_practice_day=view.streak.last_day,
        badges=[
            BadgeOut(
                id=b.id,
                code=b.code,
                title=BADGES.get(b.code, b.code),
                skill_code=b.skill_code or None,
                awarded_at=b.awarded_at,
            )
            for b in view.badges
        ],
    )


@router.get(
    "/v1/learners/{learner_id}/motivation",
    response_model=MotivationOut,
    **access(roles=ALL_USERS, scopes=["assessment:read", "assessment:write"], learner="learner_id"),
)
async def get_motivation(
    learner_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> MotivationOut:
    """The learner's points, streak and badges (compared with themself only)."""
    return _out(await service.read(session, principal, learner_id))


@router.put(
    "/v1/learners/{learner_id}/motivation/preferences",
    response_model=MotivationPreferenceOut,
    **access(roles={"student"}, action="write", learner="learner_id"),
)
async def set_motivation_preferences(
    learner_id: uuid.UUID,
    body: MotivationPreferenceIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> MotivationPreferenceOut:
    """Hide or show the learner's motivation display (the learner only; one boolean, set by
    its one writer: a plain replace, no version to match)."""
    hidden = await service.set_hidden(session, principal, learner_id, body.hidden)
    return MotivationPreferenceOut(learner_id=learner_id, hidden=hidden)
