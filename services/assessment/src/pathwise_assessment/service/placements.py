"""Placement results for pathways: the skills a learner's diagnostics showed known, with the
evidence (attempt, ability, the answers on the skill). Pathways reads them when it (re)plans, as
it reads mastery (docs/pathways.md, "Placement")."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.repository import placements as repo
from pathwise_assessment.service.access import is_student_only
from pathwise_shared.auth import Principal
from pathwise_shared.problems import NotFound

__all__ = ["PlacedSkill", "learner_placements"]


@dataclass(frozen=True)
class PlacedSkill:
    skill_code: str
    attempt_id: uuid.UUID
    assessment_id: uuid.UUID
    finished_at: datetime
    theta: float
    theta_se: float | None
    p_correct: float
    items: list[dict[str, Any]]


async def learner_placements(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID
) -> list[PlacedSkill]:
    """Per skill, the latest finished diagnostic that placed it. A later diagnostic that did not
    place a skill an earlier one placed withdraws it: the newest evidence on the strand wins."""
    if is_student_only(principal) and principal.user_id != learner_id:
        raise NotFound("No such learner.", slug="learner-not-found")
    district = None if principal.is_system else principal.require_district()
    latest: dict[str, PlacedSkill] = {}
    for attempt in await repo.finished_diagnostics(session, district, learner_id):
        result = (attempt.results or {}).get("placement")
        if result is None or attempt.finished_at is None:
            continue
        for code in result.get("p_correct_by_skill", {}):
            latest.pop(code, None)  # this attempt covered the skill: its verdict replaces older
        for row in result.get("placed", []):
            latest[row["skill_code"]] = PlacedSkill(
                skill_code=row["skill_code"],
                attempt_id=attempt.id,
                assessment_id=attempt.assessment_id,
                finished_at=attempt.finished_at,
                theta=float(attempt.theta if attempt.theta is not None else result["theta"]),
                theta_se=attempt.theta_se,
                p_correct=float(row["p_correct"]),
                items=list(row.get("items", [])),
            )
    return sorted(latest.values(), key=lambda p: p.skill_code)
