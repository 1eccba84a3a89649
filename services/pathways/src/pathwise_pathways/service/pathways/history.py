"""The record of every change: each one bumps the pathway's version and writes a
:class:`PathwayVersion` row naming who changed it and why, with the steps after it."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.proposals import role_of
from pathwise_pathways.models import Pathway, PathwayStep, PathwayVersion
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Conflict, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["OPEN", "find_step", "flush_or_conflict", "pathway_subject", "record_change"]

# The statuses of a step the learner can still work on (a board, a choice, a skip).
OPEN = ("ready", "locked")


def pathway_subject(learner_id: uuid.UUID) -> str:
    """One subject for all of a learner's pathway events, so their ``sequence`` orders them; not
    ``learner/<id>`` itself, which is profiles' (a subject has one writer, hence one counter)."""
    return f"learner/{learner_id}/pathways"


def find_step(steps: list[PathwayStep], step_id: uuid.UUID | None) -> PathwayStep:
    found = next((s for s in steps if s.id == step_id), None)
    if found is None:
        raise NotFound("No such step in this pathway.", slug="step-not-found")
    return found


def _snapshot(steps: Iterable[PathwayStep]) -> list[dict[str, Any]]:
    return [
        {
            "skill_code": s.skill_code,
            "status": s.status,
            "position": s.position,
            "chosen_activity_id": str(s.chosen_activity_id) if s.chosen_activity_id else None,
            "pinned": s.pinned,
            "choice_locked": s.choice_locked,
        }
        for s in steps
    ]


async def record_change(
    session: AsyncSession,
    pathway: Pathway,
    steps: list[PathwayStep],
    actor: Principal,
    change: str,
    reason: str,
    *,
    proposal_id: uuid.UUID | None = None,
) -> None:
    pathway.version += 1
    pathway.updated_at = utcnow()
    session.add(
        PathwayVersion(
            pathway_id=pathway.id,
            version=pathway.version,
            change=change,
            actor=actor.subject,
            actor_kind=actor.kind,
            actor_role=role_of(actor),
            proposal_id=proposal_id,
            reason=reason,
            steps=_snapshot(steps),
        )
    )
    await flush_or_conflict(session)


async def flush_or_conflict(session: AsyncSession) -> None:
    """Two changes of one pathway at once (SQLite has no row lock) collide on the version number
    or on the one pathway per learner: the loser gets a 409 to retry, never a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "The pathway was changed at the same time by another request; try again.",
            slug="pathway-changed-concurrently",
        ) from exc
