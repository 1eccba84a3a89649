"""Attempts: start, answer (idempotent per item), next adaptive item, finish, rubric scoring."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import irt
from pathwise_assessment.domain.mastery import median
from pathwise_assessment.domain.scoring import AnswerError, parse_answer, rubric_score, score
from pathwise_assessment.domain.timing import deadline, time_factor
from pathwise_assessment.models import Assessment, Attempt, ItemVersion, Response
from pathwise_assessment.repository import assessments as assessments_repo
from pathwise_assessment.repository import attempts as repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.service.access import (
    is_student_only,
    list_scope,
    require_self_or_staff,
)
from pathwise_assessment.service.events import learner_subject
from pathwise_assessment.service.keys import first_with_key
from pathwise_assessment.service.mastery import record_evidence
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.db import begin_write
from pathwise_shared.db.outbox import publish
from pathwise_shared.events import new_event
from pathwise_shared.idempotency import IdempotentRequest, check_same_request, stored_columns
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "ADAPTIVE_MAX_ITEMS",
    "ADAPTIVE_TARGET_SE",
    "AttemptView",
    "answer_item",
    "attempt_owner",
    "finish_attempt",
    "list_attempts",
    "load_attempt",
    "next_item",
    "score_rubric",
    "start_attempt",
]

ADAPTIVE_MAX_ITEMS = 20
ADAPTIVE_TARGET_SE = 0.35
EXPOSURE_TOP_K = 5
ADAPTIVE_KINDS = frozenset({"adaptive", "diagnostic"})


@dataclass
class AttemptView:
    attempt: Attempt
    assessment: Assessment
    items: list[tuple[int, ItemVersion]]
    responses: list[Response]


def _answer_problem(exc: AnswerError) -> UnprocessableContent:
    return UnprocessableContent(exc.detail, slug="invalid-answer", errors=exc.errors)


async def _attempt_for(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID, *, lock: bool = False
) -> Attempt:
    attempt = await repo.get_attempt(session, principal.require_district(), attempt_id, lock=lock)
    # Another learner's attempt is as invisible to a student as another district's.
    if attempt is None or (is_student_only(principal) and principal.user_id != attempt.learner_id):
        raise NotFound("No such attempt.", slug="attempt-not-found")
    return attempt


async def _assessment(session: AsyncSession, attempt: Attempt) -> Assessment:
    found = await assessments_repo.get_assessment(
        session, attempt.district_id, attempt.assessment_id
    )
    assert found is not None  # foreign key
    return found


def _require_open(attempt: Attempt, now: datetime) -> None:
    if attempt.status != "in_progress":
        raise Conflict("The attempt is finished; no more answers.", slug="attempt-finished")
    if attempt.deadline_at is not None and now > attempt.deadline_at:
        raise Conflict(
            "The attempt's time limit has passed; finish it to see the results.",
            slug="attempt-time-expired",
        )


async def attempt_owner(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID
) -> uuid.UUID:
    learner = await repo.attempt_learner(session, principal.require_district(), attempt_id)
    if learner is None:
        raise NotFound("No such attempt.", slug="attempt-not-found")
    return learner


async def load_attempt(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID
) -> AttemptView:
    attempt = await _attempt_for(session, principal, attempt_id)
    return await _view(session, attempt)


async def list_attempts(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> tuple[list[AttemptView], bool]:
    """A page of attempts with their items and responses, and whether there are more.

    Four queries whatever the page size (attempts, their assessments, items, responses): reading
    each attempt's view one by one was 3 queries per attempt.
    """
    district_id = principal.require_district()
    rows = await repo.list_attempts(
        session,
        district_id,
        learner_id=list_scope(principal, learner_id),
        after=after,
        limit=limit,
    )
    page = rows[:limit]
    ids = [a.id for a in page]
    assessments = await assessments_repo.assessments_by_id(
        session, district_id, [a.assessment_id for a in page]
    )
    items = await repo.items_of_attempts(session, ids)
    responses = await repo.responses_of_attempts(session, ids)
    views = [
        AttemptView(a, assessments[a.assessment_id], items[a.id], responses[a.id]) for a in page
    ]
    return views, len(rows) > limit


async def _view(session: AsyncSession, attempt: Attempt) -> AttemptView:
    items = [(ai.position, v) for ai, v in await repo.attempt_items(session, attempt.id)]
    return AttemptView(
        attempt,
        await _assessment(session, attempt),
        items,
        await repo.responses_of(session, attempt.id),
    )


async def start_attempt(
    session: AsyncSession,
    upstreams: Upstreams,
    principal: Principal,
    assessment_id: uuid.UUID,
    learner_id: uuid.UUID,
    idempotency: IdempotentRequest | None,
) -> tuple[AttemptView, bool]:
    district_id = principal.require_district()
    require_self_or_staff(principal, learner_id)
    if idempotency is not None:
        existing = await repo.get_attempt_by_key(session, district_id, idempotency.key)
        if existing is not None:
            check_same_request(existing.request_hash, idempotency)
            return await _view(session, existing), False
    assessment = await assessments_repo.get_assessment(session, district_id, assessment_id)
    if assessment is None:
        raise NotFound("No such assessment.", slug="assessment-not-found")
    factor = 1.0
    if assessment.time_limit_seconds is not None:
        # Only timed assessments need the profile (extended-time accommodation).
        profile = await upstreams.planning_profile(principal, learner_id)
        accommodations = profile.get("accommodations")
        factor = time_factor(accommodations if isinstance(accommodations, list) else [])
    now = utcnow()
    attempt = Attempt(
        id=new_id(),
        district_id=district_id,
        assessment_id=assessment.id,
        learner_id=learner_id,
        status="in_progress",
        time_factor=factor,
        started_at=now,
        deadline_at=deadline(now, assessment.time_limit_seconds, factor),
        created_by=principal.subject,
        **stored_columns(idempotency),
    )
    async with first_with_key(session, idempotency):
        await repo.add_attempt(session, attempt)
    if assessment.kind not in ADAPTIVE_KINDS:
        versions = []
        for item_id in await assessments_repo.assessment_item_ids(session, assessment.id):
            found = await items_repo.get_item(session, district_id, item_id)
            if found is not None and found[0].status == "active":
                versions.append(found[1])
        await repo.add_attempt_items(session, attempt.id, versions)
    return await _view(session, attempt), True


async def answer_item(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    item_id: uuid.UUID,
    raw_answer: dict[str, Any],
) -> tuple[AttemptView, Response, bool]:
    """Record and score one answer. The same answer again is a no-op; a different one a 409.

    Answers to one attempt run one at a time: the attempt row is locked (PostgreSQL) or the
    transaction holds SQLite's write lock from its start (``begin_write``), so a retry racing its
    first try sees the first one's response (a no-op) and an answer racing ``finish`` sees the
    attempt finished. Answers of one learner on one skill from other attempts are ordered by the
    mastery row lock in ``record_evidence``.
    """
    await begin_write(session)
    attempt = await _attempt_for(session, principal, attempt_id, lock=True)
    now = utcnow()
    # The view is read once and kept up to date here: the hot path of every answer.
    view = await _view(session, attempt)
    version = next((v for _, v in view.items if v.item_id == item_id), None)
    existing = next((r for r in view.responses if r.item_id == item_id), None)
    if version is None:
        raise UnprocessableContent(
            "The item is not part of this attempt.", slug="item-not-in-attempt"
        )
    try:
        answer = parse_answer(version.spec, raw_answer).model_dump(mode="json")
    except AnswerError as exc:
        raise _answer_problem(exc) from None
    if existing is not None:
        if existing.answer == answer:
            return view, existing, False
        raise Conflict(
            "This item was already answered differently in this attempt.", slug="already-answered"
        )
    _require_open(attempt, now)
    result = score(version.spec, answer, version.points)
    response = Response(
        id=new_id(),
        district_id=attempt.district_id,
        attempt_id=attempt.id,
        item_id=item_id,
        item_version_id=version.id,
        learner_id=attempt.learner_id,
        answer=answer,
        status=result.status,
        earned=result.earned,
        possible=result.possible,
        correct=result.correct,
        created_at=now,
        scored_at=now if result.status == "scored" else None,
        scored_by="auto" if result.status == "scored" else None,
    )
    try:
        await repo.add_response(session, response)
    except IntegrityError as exc:
        raise Conflict(
            "This item was answered at the same time by another request.", slug="already-answered"
        ) from exc
    if result.status == "scored":
        await _scored(session, attempt, response, version, now)
    view.responses.append(response)
    return view, response, True


async def _scored(
    session: AsyncSession,
    attempt: Attempt,
    response: Response,
    version: ItemVersion,
    now: datetime,
) -> None:
    assert response.correct is not None
    await publish(
        session,
        new_event(
            "response.scored",
            district_id=attempt.district_id,
            subject=learner_subject(attempt.learner_id),
            data={
                "response_id": str(response.id),
                "attempt_id": str(attempt.id),
                "item_id": str(response.item_id),
                "item_version": version.version,
                "learner_id": str(attempt.learner_id),
                "earned": response.earned,
                "possible": response.possible,
                "correct": response.correct,
                "skill_codes": version.skill_codes,
            },
        ),
    )
    await record_evidence(
        session,
        district_id=attempt.district_id,
        learner_id=attempt.learner_id,
        response_id=response.id,
        skill_codes=version.skill_codes,
        difficulty=version.difficulty,
        correct=response.correct,
        now=now,
    )
    if attempt.status == "finished":
        view = await _view(session, attempt)
        _apply_results(view)


async def next_item(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    rng: np.random.Generator | None = None,
) -> tuple[AttemptView, ItemVersion | None, irt.Ability, bool]:
    """The item to answer next in an adaptive/diagnostic attempt, or done."""
    await begin_write(session)  # it may add the item to the attempt: read and write as one
    attempt = await _attempt_for(session, principal, attempt_id, lock=True)
    assessment = await _assessment(session, attempt)
    if assessment.kind not in ADAPTIVE_KINDS:
        raise Conflict(
            "Only adaptive and diagnostic attempts serve items one by one.", slug="not-adaptive"
        )
    _require_open(attempt, utcnow())
    view = await _view(session, attempt)
    answered = {r.item_id for r in view.responses}
    ability = _ability(view)
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
    bank = await items_repo.bank_for_skills(
        session, attempt.district_id, assessment.skill_codes, {v.item_id for _, v in view.items}
    )
    if not bank:
        return view, None, ability, True
    a = np.fromiter((row[1] for row in bank), dtype=np.float64, count=len(bank))
    b = np.fromiter((row[2] for row in bank), dtype=np.float64, count=len(bank))
    chosen = irt.select_next(
        ability.theta, a, b, np.zeros(len(bank), dtype=bool), top_k=EXPOSURE_TOP_K, rng=rng
    )
    if chosen is None:
        return view, None, ability, True
    version_id = uuid.UUID(bank[chosen][0])
    version = (await items_repo.versions_by_id(session, [version_id]))[version_id]
    await repo.add_attempt_items(session, attempt.id, [version], start=len(view.items))
    view.items.append((len(view.items), version))
    return view, version, ability, False


def _ability(view: AttemptView) -> irt.Ability:
    by_item = {v.item_id: v for _, v in view.items}
    scored = [r for r in view.responses if r.correct is not None]
    return irt.eap(
        [by_item[r.item_id].discrimination for r in scored],
        [by_item[r.item_id].difficulty for r in scored],
        [bool(r.correct) for r in scored],
    )


async def finish_attempt(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID
) -> AttemptView:
    """Close the attempt and compute results; finishing twice returns the same results."""
    await begin_write(session)  # results must include every answer committed before it
    attempt = await _attempt_for(session, principal, attempt_id, lock=True)
    view = await _view(session, attempt)
    if attempt.status == "finished":
        return view
    attempt.status = "finished"
    attempt.finished_at = utcnow()
    if view.assessment.kind == "diagnostic":
        difficulties = await items_repo.difficulties_by_skill(
            session, attempt.district_id, view.assessment.skill_codes
        )
        _apply_results(view, difficulties)
    else:
        _apply_results(view)
    await session.flush()
    await publish(
        session,
        new_event(
            "attempt.completed",
            district_id=attempt.district_id,
            subject=learner_subject(attempt.learner_id),
            data={
                "attempt_id": str(attempt.id),
                "assessment_id": str(attempt.assessment_id),
                "kind": view.assessment.kind,
                "learner_id": str(attempt.learner_id),
                "score": attempt.score,
                "max_score": attempt.max_score,
                "skills": {
                    code: {k: v for k, v in r.items() if k != "items"}
                    for code, r in (attempt.results or {}).get("skills", {}).items()
                },
            },
        ),
    )
    return view


def _apply_results(view: AttemptView, difficulties: dict[str, list[float]] | None = None) -> None:
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
        ability = _ability(view)
        attempt.theta, attempt.theta_se = ability.theta, ability.se
        if difficulties is not None:
            results["placement"] = placement(
                view.assessment.skill_codes, difficulties, ability.theta
            )
    attempt.score, attempt.max_score, attempt.results = (
        round(earned, 4),
        round(possible, 4),
        results,
    )


def placement(
    skill_codes: list[str], difficulties: dict[str, list[float]], theta: float
) -> dict[str, Any]:
    """Where to start on a strand: the first skill (in the strand's order) whose typical item
    (median difficulty, a = 1) the learner is less than 70 % likely to get right."""
    chances: dict[str, float | None] = {}
    start: str | None = None
    for code in skill_codes:
        mid = median(difficulties.get(code, []))
        chance = None if mid is None else float(1.0 / (1.0 + np.exp(-(theta - mid))))
        chances[code] = None if chance is None else round(chance, 3)
        if start is None and chance is not None and chance < 0.7:
            start = code
    return {"start_skill_code": start, "p_correct_by_skill": chances, "theta": round(theta, 3)}


async def score_rubric(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    response_id: uuid.UUID,
    criteria: dict[str, float],
) -> tuple[AttemptView, Response]:
    # Two teachers scoring the same response at once: the second must see it scored (409), not
    # apply its evidence a second time.
    await begin_write(session)
    attempt = await _attempt_for(session, principal, attempt_id, lock=True)
    response = await repo.get_response(session, attempt.id, response_id=response_id)
    if response is None:
        raise NotFound("No such response in this attempt.", slug="response-not-found")
    if response.status != "pending":
        raise Conflict("This response is already scored.", slug="already-scored")
    versions = await items_repo.versions_by_id(session, [response.item_version_id])
    version = versions[response.item_version_id]
    try:
        result = rubric_score(version.spec, criteria, version.points)
    except AnswerError as exc:
        raise UnprocessableContent(exc.detail, slug="invalid-rubric-score") from None
    now = utcnow()
    response.status, response.earned, response.correct = "scored", result.earned, result.correct
    response.rubric = {"criteria": criteria}
    response.scored_at, response.scored_by = now, principal.subject
    await session.flush()
    await _scored(session, attempt, response, version, now)
    return await _view(session, attempt), response
