"""Motivation: practice points, the forgiving streak and personal badges (``domain.motivation``).

Badges are decided in the transaction of the answer that earned them (``on_answer``) and go out
as ``badge.awarded`` through the outbox with it. Reads show one learner, to themself and to the
staff and guardians the gateway lets through; nothing lists or orders learners.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import motivation as rule
from pathwise_assessment.models import Badge
from pathwise_assessment.repository import motivation as repo
from pathwise_assessment.service.access import is_student_only
from pathwise_assessment.service.events import learner_subject
from pathwise_shared.auth import Principal
from pathwise_shared.db.outbox import publish_many
from pathwise_shared.events import EventEnvelope, new_event
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Forbidden, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["MotivationView", "on_answer", "on_mastery_changes", "read", "set_hidden"]


def _is_self(principal: Principal, learner_id: uuid.UUID) -> bool:
    return principal.kind == "user" and principal.user_id == learner_id


async def _award(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    code: str,
    skill_code: str,
    now: datetime,
) -> EventEnvelope | None:
    badge_id = new_id()
    awarded = await repo.award(
        session,
        badge_id=badge_id,
        district_id=district_id,
        learner_id=learner_id,
        code=code,
        skill_code=skill_code,
        now=now,
    )
    if not awarded:
        return None
    # Thin: which badge, for whom; the learner's counts stay behind the learner-scoped read.
    return new_event(
        "badge.awarded",
        district_id=district_id,
        subject=learner_subject(learner_id),
        data={
            "learner_id": str(learner_id),
            "badge_id": str(badge_id),
            "badge": code,
            "skill_code": skill_code or None,
        },
    )


async def on_mastery_changes(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    changes: Sequence[dict[str, Any]],
    now: datetime,
) -> list[EventEnvelope]:
    """The mastery badges the changes earned (first mastery, 5 and 10 skills, comebacks)."""
    newly = [c["skill_code"] for c in changes if c["mastered"] and not c["previous_mastered"]]
    if not newly:
        return []
    events: list[EventEnvelope | None] = []
    count = await repo.mastered_skill_count(session, district_id, learner_id)
    for code in sorted(rule.milestone_badges(count, 0)):
        events.append(await _award(session, district_id, learner_id, code, "", now))
    for skill in newly:
        answers = await repo.skill_answers(session, district_id, learner_id, skill)
        if rule.struggled(answers):
            events.append(await _award(session, district_id, learner_id, rule.COMEBACK, skill, now))
    return [e for e in events if e is not None]


async def on_answer(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    changes: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """Count a new answer as practice, award what it earned and publish ``badge.awarded``, in
    the answer's transaction. The streak is looked at only on the day's first answer (later
    answers that day cannot lengthen it)."""
    events = await on_mastery_changes(session, district_id, learner_id, changes, now)
    if await repo.add_practice(session, district_id, learner_id, now.date()) == 1:
        days = [d for d, _ in await repo.practice_days(session, district_id, learner_id)]
        streak = rule.streak_of(days, now.date())
        if streak.longest >= rule.STREAK_BADGE_DAYS:
            event = await _award(session, district_id, learner_id, rule.STREAK_FIVE, "", now)
            if event is not None:
                events.append(event)
    if events:
        await publish_many(session, events)


@dataclass(frozen=True)
class MotivationView:
    learner_id: uuid.UUID
    hidden: bool
    answered: int = 0
    skills_mastered: int = 0
    streak: rule.Streak | None = None
    badges: tuple[Badge, ...] = ()


async def read(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID
) -> MotivationView:
    """One learner's motivation. Hidden by the learner: only they see it (teachers and
    guardians get ``hidden`` and nothing else)."""
    # A student asking about another learner: as for mastery, that learner does not exist.
    if (
        is_student_only(principal)
        and principal.has_role("student")
        and principal.user_id != learner_id
    ):
        raise NotFound("No such learner.", slug="learner-not-found")
    district_id = principal.require_district()
    hidden = await repo.hidden(session, district_id, learner_id)
    if hidden and not _is_self(principal, learner_id):
        return MotivationView(learner_id, True)
    days = await repo.practice_days(session, district_id, learner_id)
    return MotivationView(
        learner_id,
        hidden,
        answered=sum(n for _, n in days),
        skills_mastered=await repo.mastered_skill_count(session, district_id, learner_id),
        streak=rule.streak_of([d for d, _ in days], utcnow().date()),
        badges=tuple(await repo.badges_of(session, district_id, learner_id)),
    )


async def set_hidden(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, hidden: bool
) -> bool:
    """Only the learner decides whether their motivation display is shown."""
    if not _is_self(principal, learner_id):
        raise Forbidden(
            "Only the learner can hide or show their motivation display.",
            slug="not-the-learner",
        )
    await repo.set_hidden(session, principal.require_district(), learner_id, hidden, utcnow())
    return hidden
