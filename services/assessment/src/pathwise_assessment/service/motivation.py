"""Motivation: practice points, the forgiving streak and personal badges (``domain.motivation``).

Badges are decided in the transaction of the answer that earned them (``on_answer``) and go out
as ``badge.awarded`` through the outbox with it. A comeback is a skill mastered after a flag for
extra help: pathways' ``learner.flagged`` / ``learner.unflagged`` arrive through the gateway's
event hub (``receive_event``), and a flag that arrives after the mastery it preceded awards the
comeback on arrival. Reads show one learner, to themself and to the
staff and guardians the gateway lets through; nothing lists or orders learners.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
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
from pathwise_shared.problems import Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "MotivationView",
    "on_answer",
    "on_mastery_changes",
    "read",
    "receive_event",
    "set_hidden",
]

FLAG_EVENTS = {"learner.flagged": "flagged", "learner.unflagged": "unflagged"}
# The skill a flag is about, by the numbers each kind carries (pathways' domain/insights.py):
# no_progress and prerequisite_gap name it, error_rate_high names the skill being practised.
_FLAG_SKILL_KEYS = ("skill_code", "skill_practised")


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


async def _comeback(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    episode: rule.FlagEpisode,
    skill_code: str,
    now: datetime,
) -> EventEnvelope | None:
    """The comeback from ``episode``: claimed first (once per episode, even under concurrent
    answers), the claim undone when the learner already has this skill's comeback."""
    if not await repo.claim_episode(session, district_id, episode.event_id, skill_code):
        return None
    event = await _award(session, district_id, learner_id, rule.COMEBACK, skill_code, now)
    if event is None:
        await repo.release_episode(session, district_id, episode.event_id)
    return event


async def on_mastery_changes(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    changes: Sequence[dict[str, Any]],
    now: datetime,
) -> list[EventEnvelope]:
    """The mastery badges the changes earned (first mastery, 5 and 10 skills, comebacks: a
    newly mastered skill after a flag, ``domain.motivation.comeback_episode``)."""
    newly = [c["skill_code"] for c in changes if c["mastered"] and not c["previous_mastered"]]
    if not newly:
        return []
    events: list[EventEnvelope | None] = []
    count = await repo.mastered_skill_count(session, district_id, learner_id)
    for code in sorted(rule.milestone_badges(count, 0)):
        events.append(await _award(session, district_id, learner_id, code, "", now))
    notices = await repo.flag_notices(session, district_id, learner_id)
    if notices:
        episodes = rule.episodes_of(notices)
        for skill in newly:
            history = await repo.skill_history(session, district_id, learner_id, skill)
            episode = rule.comeback_episode(episodes, skill, history, now)
            if episode is not None:
                event = await _comeback(session, district_id, learner_id, episode, skill, now)
                events.append(event)
                if event is not None:
                    episodes = [e for e in episodes if e.event_id != episode.event_id]
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


class _FlagData(BaseModel):
    """What assessment reads of a flag event (the rest of it, numbers and class, is not kept)."""

    model_config = ConfigDict(extra="ignore")

    learner_id: uuid.UUID
    flag_id: uuid.UUID
    code: str = Field(min_length=1, max_length=40)
    numbers: dict[str, Any] = Field(default_factory=dict)


def _flag_skill(numbers: dict[str, Any]) -> str | None:
    for key in _FLAG_SKILL_KEYS:
        value = numbers.get(key)
        if isinstance(value, str) and 0 < len(value) <= 40:
            return value
    return None


async def receive_event(
    session: AsyncSession, principal: Principal, envelope: EventEnvelope
) -> str:
    """An event from the gateway's fan-out, once: ``duplicate`` for a redelivery (the event id),
    ``ignored`` for a type assessment does not act on, else ``recorded``. A ``learner.flagged``
    whose flag preceded a mastery already made (the event came late) awards that comeback now,
    and ``badge.awarded`` goes out in this transaction."""
    if not principal.is_system:
        raise Forbidden("Only the system delivers events.", slug="system-only")
    district_id = envelope.district_id
    if district_id is None:
        raise UnprocessableContent("The event names no district.", slug="district-required")
    if principal.district_id is not None and principal.district_id != district_id:
        raise Forbidden("Only the system of the event's district delivers it.", slug="system-only")
    kind = FLAG_EVENTS.get(envelope.type)
    if kind is None:
        return "ignored"
    try:
        data = _FlagData.model_validate(envelope.data)
    except ValidationError as exc:
        raise UnprocessableContent(
            f"{envelope.type} needs learner_id, flag_id and code.", slug="invalid-event"
        ) from exc
    now = utcnow()
    new = await repo.record_flag_notice(
        session,
        event_id=envelope.id,
        district_id=district_id,
        learner_id=data.learner_id,
        flag_id=data.flag_id,
        kind=kind,
        code=data.code,
        skill_code=_flag_skill(data.numbers),
        occurred_at=envelope.occurred_at,
        now=now,
    )
    if not new:
        return "duplicate"
    if kind == "flagged":
        events = await _late_comebacks(session, district_id, data.learner_id, envelope.id, now)
        if events:
            await publish_many(session, events)
    return "recorded"


async def _late_comebacks(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    event_id: uuid.UUID,
    now: datetime,
) -> list[EventEnvelope]:
    """A flag raised before a mastery that was made before its event arrived (delivery is
    asynchronous): the comeback the mastery would have earned, at most one for the episode."""
    episodes = rule.episodes_of(await repo.flag_notices(session, district_id, learner_id))
    episode = next((e for e in episodes if e.event_id == event_id), None)
    if episode is None or episode.code not in rule.COMEBACK_FLAGS:
        return []
    histories = await repo.history_by_skill(session, district_id, learner_id)
    for skill in sorted(histories):
        history = histories[skill]
        mastered_at = rule.mastered_after(history, episode.raised_at)
        if (
            mastered_at is None
            or rule.comeback_episode([episode], skill, history, mastered_at) is None
        ):
            continue
        event = await _comeback(session, district_id, learner_id, episode, skill, now)
        if event is not None:
            return [event]
    return []
