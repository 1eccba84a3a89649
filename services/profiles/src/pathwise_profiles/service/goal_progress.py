"""A goal's ``progress`` from mastery: pathways sends, per goal skill of the learner's pathway,
how many skills it needs and how many are mastered or placed; a goal's progress is the share over
its skill codes that pathways knows (docs/profiles.md, "Goals"). Goals none of whose skills are
on the pathway keep the value they have. An active goal whose progress reaches 1.0 becomes
``achieved`` and ``goal.completed`` is written with it.

Pushed by pathways when mastery moves (not read from pathways on the profile read, which stays a
single local read)."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.goals import completes, status_after_progress
from pathwise_profiles.repository import goal_progress as repo
from pathwise_profiles.schemas.goal_progress import SkillProgressIn
from pathwise_profiles.service.change_log import record
from pathwise_profiles.service.profiles import emit_goal_completed
from pathwise_shared.auth import Principal
from pathwise_shared.timeutil import utcnow

__all__ = ["apply_goal_progress"]


async def apply_goal_progress(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    skills: Sequence[SkillProgressIn],
) -> int:
    by_code = {s.skill_code: s for s in skills}
    now = utcnow()
    updated = 0
    district = principal.require_district()
    for goal in await repo.learner_goals(session, district, learner_id):
        known = [by_code[c] for c in goal["skill_codes"] or [] if c in by_code]
        needed = sum(s.needed for s in known)
        if not known:
            continue
        progress = round(sum(min(s.done, s.needed) for s in known) / needed, 4) if needed else 1.0
        status = status_after_progress(goal["status"], progress)
        completed = completes(goal["status"], status)
        if abs(progress - float(goal["progress"])) > 1e-9 or completed:
            await repo.set_progress(
                session, goal["id"], goal["version"], progress, now, completed=completed
            )
            updated += 1
        if completed:
            # Mastery reached the goal: the same event as a learner marking it achieved, once.
            await emit_goal_completed(
                session, {**dict(goal), "district_id": district, "learner_id": learner_id}
            )
    if updated:
        # The profile read shows each goal's progress: one learner profile change on the feed.
        record(session, district, "learner_profile", learner_id, "upsert")
    return updated
