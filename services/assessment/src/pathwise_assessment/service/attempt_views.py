"""An attempt as the use cases see it (the attempt, its assessment, items and responses), the
reads and checks every attempt use case starts with, and the results computed from a view."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import irt
from pathwise_assessment.domain.placement import placement
from pathwise_assessment.domain.rows import ResponseRow, VersionRow
from pathwise_assessment.domain.scoring import AnswerError
from pathwise_assessment.models import Assessment, Attempt
from pathwise_assessment.repository import assessments as assessments_repo
from pathwise_assessment.repository import attempts as repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.service.access import (
    is_student_only,
)
from pathwise_shared.auth import Principal
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent

__all__ = [
    "ADAPTIVE_KINDS",
    "ADAPTIVE_MAX_ITEMS",
    "ADAPTIVE_TARGET_SE",
    "EXPOSURE_TOP_K",
    "AttemptView",
    "ability_of",
    "answer_problem",
    "apply_results",
    "assessment_of",
    "attempt_for",
    "locked_attempt",
    "require_open",
    "view_of",
    "view_with",
]

ADAPTIVE_MAX_ITEMS = 20
ADAPTIVE_TARGET_SE = 0.35
EXPOSURE_TOP_K = 5
ADAPTIVE_KINDS = frozenset({"adaptive", "diagnostic"})


@dataclass
class AttemptView:
    attempt: Attempt
    assessment: Assessment
    items: list[tuple[int, VersionRow]]
    responses: list[ResponseRow]


def answer_problem(exc: AnswerError) -> UnprocessableContent:
    return UnprocessableContent(exc.detail, slug="invalid-answer", errors=exc.errors)


async def attempt_for(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID, *, lock: bool = False
) -> Attempt:
    attempt = await repo.get_attempt(session, principal.require_district(), attempt_id, lock=lock)
    # Another learner's attempt is as invisible to a student as another district's.
    if attempt is None or (is_student_only(principal) and principal.user_id != attempt.learner_id):
        raise NotFound("No such attempt.", slug="attempt-not-found")
    return attempt


async def locked_attempt(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID
) -> tuple[Attempt, Assessment]:
    """``attempt_for(..., lock=True)`` with the attempt's assessment, in one statement."""
    found = await repo.lock_attempt(session, principal.require_district(), attempt_id)
    if found is None or (is_student_only(principal) and principal.user_id != found[0].learner_id):
        raise NotFound("No such attempt.", slug="attempt-not-found")
    return found


async def assessment_of(session: AsyncSession, attempt: Attempt) -> Assessment:
    found = await assessments_repo.get_assessment(
        session, attempt.district_id, attempt.assessment_id
    )
    assert found is not None  # foreign key
    return found


def require_open(attempt: Attempt, now: datetime) -> None:
    if attempt.status != "in_progress":
        raise Conflict("The attempt is finished; no more answers.", slug="attempt-finished")
    if attempt.deadline_at is not None and now > attempt.deadline_at:
        raise Conflict(
            "The attempt's time limit has passed; finish it to see the results.",
            slug="attempt-time-expired",
        )


async def view_of(session: AsyncSession, attempt: Attempt) -> AttemptView:
    return await view_with(session, attempt, await assessment_of(session, attempt))


async def view_with(session: AsyncSession, attempt: Attempt, assessment: Assessment) -> AttemptView:
    """The attempt's view: one statement for its items and responses, versions from the cache."""
    pinned, responses = await repo.attempt_rows(session, attempt.id)
    versions = await items_repo.version_rows(session, {v for _, v in pinned})
    items = [(position, versions[v]) for position, v in pinned]
    return AttemptView(attempt, assessment, items, responses)


def ability_of(view: AttemptView) -> irt.Ability:
    by_item = {v.item_id: v for _, v in view.items}
    scored = [r for r in view.responses if r.correct is not None]
    return irt.eap(
        [by_item[r.item_id].discrimination for r in scored],
        [by_item[r.item_id].difficulty for r in scored],
        [bool(r.correct) for r in scored],
    )


def apply_results(view: AttemptView, difficulties: dict[str, list[float]] | None = None) -> None:
    """Per-skill and overall results (unanswered items count as zero)."""
    attempt = view.attempt
    responses = {r.item_id: r for r in view.responses}
    skills: dict[str, dict[str, Any]] = {
        code: {
            "earned": 0.0,
            "possible": 0.0,
            "answered": 0,
            "correct": 0,
            "pending": 0,
            "items": 0,
        }
        for code in view.assessment.skill_codes
    }
    earned = possible = 0.0
    for _, version in view.items:
        response = responses.get(version.item_id)
        possible += version.points
        earned += response.earned if response is not None else 0.0
        for code in version.skill_codes:
            row = skills.setdefault(
                code,
                {
                    "earned": 0.0,
                    "possible": 0.0,
                    "answered": 0,
                    "correct": 0,
                    "pending": 0,
                    "items": 0,
                },
            )
            row["items"] += 1
            row["possible"] += version.points
            if response is not None:
                row["answered"] += 1
                row["earned"] += response.earned
                row["correct"] += 1 if response.correct else 0
                row["pending"] += 1 if response.status == "pending" else 0
    for row in skills.values():
        row["percent"] = (
            round(100 * row["earned"] / row["possible"], 1) if row["possible"] else None
        )
    results: dict[str, Any] = {
        "skills": skills,
        "pending": sum(r.status == "pending" for r in view.responses),
    }
    if view.assessment.kind in ADAPTIVE_KINDS:
        ability = ability_of(view)
        attempt.theta, attempt.theta_se = ability.theta, ability.se
        if difficulties is not None:
            by_item = {v.item_id: v for _, v in view.items}
            results["placement"] = placement(
                view.assessment.skill_codes,
                difficulties,
                ability.theta,
                [
                    (str(r.item_id), by_item[r.item_id].skill_codes, bool(r.correct))
                    for r in view.responses
                    if r.correct is not None and r.item_id in by_item
                ],
            )
        elif attempt.results and "placement" in attempt.results:
            # Results recomputed after the finish (a rubric scored late) keep the placement the
            # finish computed: pathways applies it by attempt id, so it must not vanish.
            results["placement"] = attempt.results["placement"]
    attempt.score, attempt.max_score, attempt.results = (
        round(earned, 4),
        round(possible, 4),
        results,
    )
