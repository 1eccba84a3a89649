"""Attempts: start, answer (idempotent per item), finish, rubric scoring, read and list (the next
adaptive item is ``service.adaptive``)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain.rows import ResponseRow, VersionRow
from pathwise_assessment.domain.scoring import AnswerError, parse_answer, rubric_score, score
from pathwise_assessment.domain.timing import deadline, time_factor
from pathwise_assessment.models import Attempt, Response
from pathwise_assessment.repository import assessments as assessments_repo
from pathwise_assessment.repository import attempts as repo
from pathwise_assessment.repository import items as items_repo
from pathwise_assessment.service.access import (
    list_scope,
    require_self_or_staff,
)
from pathwise_assessment.service.attempt_views import (
    ADAPTIVE_KINDS,
    AttemptView,
    answer_problem,
    apply_results,
    attempt_for,
    locked_attempt,
    require_open,
    view_of,
    view_with,
)
from pathwise_assessment.service.events import learner_subject
from pathwise_assessment.service.keys import first_with_key
from pathwise_assessment.service.mastery import (
    apply_skipped_items,
    item_evidence,
    record_evidence,
)
from pathwise_assessment.service.motivation import on_answer, on_mastery_changes
from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.db import begin_write
from pathwise_shared.db.outbox import publish, publish_many
from pathwise_shared.events import new_event
from pathwise_shared.idempotency import IdempotentRequest, check_same_request, stored_columns
from pathwise_shared.ids import new_id
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "AttemptView",
    "answer_item",
    "attempt_owner",
    "finish_attempt",
    "list_attempts",
    "load_attempt",
    "score_rubric",
    "start_attempt",
]


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
    attempt = await attempt_for(session, principal, attempt_id)
    return await view_of(session, attempt)


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
    pinned = await repo.items_of_attempts(session, ids)
    versions = await items_repo.version_rows(
        session, {v for rows in pinned.values() for _, v in rows}
    )
    responses = await repo.responses_of_attempts(session, ids)
    views = [
        AttemptView(
            a,
            assessments[a.assessment_id],
            [(p, versions[v]) for p, v in pinned[a.id]],
            responses[a.id],
        )
        for a in page
    ]
    return views, len(rows) > limit


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
            return await view_of(session, existing), False
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
    return await view_of(session, attempt), True


async def answer_item(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    item_id: uuid.UUID,
    raw_answer: dict[str, Any],
) -> tuple[AttemptView, ResponseRow, bool]:
    """Record and score one answer. The same answer again is a no-op; a different one a 409.

    Answers to one attempt run one at a time: the attempt row is locked (PostgreSQL) or the
    transaction holds SQLite's write lock from its start (``begin_write``), so a retry racing its
    first try sees the first one's response (a no-op) and an answer racing ``finish`` sees the
    attempt finished. Answers of one learner on one skill from other attempts are ordered by the
    mastery row lock in ``record_evidence``.

    The hot path of the service, designed in round trips (docs/assessment.md, "The answer
    path"): the attempt with its assessment (locked), its items with their responses, the
    response insert, then ``record_evidence`` (mastery upsert-and-lock, update, history, events).
    Item versions and BKT parameters come from process caches.
    """
    await begin_write(session)
    attempt, assessment = await locked_attempt(session, principal, attempt_id)
    now = utcnow()
    # The view is read once and kept up to date here.
    view = await view_with(session, attempt, assessment)
    version = next((v for _, v in view.items if v.item_id == item_id), None)
    existing = next((r for r in view.responses if r.item_id == item_id), None)
    if version is None:
        raise UnprocessableContent(
            "The item is not part of this attempt.", slug="item-not-in-attempt"
        )
    try:
        answer = parse_answer(version.spec, raw_answer).model_dump(mode="json")
    except AnswerError as exc:
        raise answer_problem(exc) from None
    if existing is not None:
        if existing.answer == answer:
            return view, existing, False
        raise Conflict(
            "This item was already answered differently in this attempt.", slug="already-answered"
        )
    require_open(attempt, now)
    result = score(version.spec, answer, version.points)
    scored = result.status == "scored"
    response = ResponseRow(
        id=new_id(),
        item_id=item_id,
        item_version_id=version.id,
        answer=answer,
        status=result.status,
        earned=result.earned,
        possible=result.possible,
        correct=result.correct,
        created_at=now,
    )
    try:
        await repo.insert_response(
            session,
            {
                "id": response.id,
                "district_id": attempt.district_id,
                "attempt_id": attempt.id,
                "item_id": item_id,
                "item_version_id": version.id,
                "learner_id": attempt.learner_id,
                "answer": answer,
                "status": response.status,
                "earned": response.earned,
                "possible": response.possible,
                "correct": response.correct,
                "rubric": None,
                "created_at": now,
                "scored_at": now if scored else None,
                "scored_by": "auto" if scored else None,
            },
        )
    except IntegrityError as exc:
        raise Conflict(
            "This item was answered at the same time by another request.", slug="already-answered"
        ) from exc
    changes = await _scored(session, attempt, response, version, now) if scored else []
    # Every new answer is practice (one awaiting its rubric too); badges it earned go out with it.
    await on_answer(session, attempt.district_id, attempt.learner_id, changes, now)
    view.responses.append(response)
    return view, response, True


async def _scored(
    session: AsyncSession,
    attempt: Attempt,
    response: ResponseRow,
    version: VersionRow,
    now: datetime,
) -> list[dict[str, Any]]:
    """Publish ``response.scored``, apply the evidence; returns the mastery changes."""
    assert response.correct is not None
    scored = new_event(
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
    )
    # The event goes out with the mastery events of the same response: one counter bump and one
    # outbox insert for all of them, ``response.scored`` first.
    changes = await record_evidence(
        session,
        district_id=attempt.district_id,
        learner_id=attempt.learner_id,
        response_id=response.id,
        item=item_evidence(version),
        correct=response.correct,
        now=now,
        first=[scored],
    )
    if attempt.status == "finished":
        view = await view_of(session, attempt)
        apply_results(view)
    return changes


# Kinds whose items are fixed when the attempt starts: a skipped item is a choice of the learner.
# (An adaptive attempt's items are chosen one at a time: none is skipped.)
FIXED_FORM_KINDS = frozenset({"skill_check", "summative"})


def _position(pinned: tuple[int, VersionRow]) -> int:
    return pinned[0]


async def finish_attempt(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID
) -> AttemptView:
    """Close the attempt and compute results; finishing twice returns the same results.

    A fixed-form check (``skill_check``, ``summative``) counts every item left unanswered as a
    wrong answer for mastery (``apply_skipped_items``): skipping the hard items is not a way to
    mastery. Responses awaiting rubric scoring are answered (their evidence comes with the score).
    """
    await begin_write(session)  # results must include every answer committed before it
    attempt = await attempt_for(session, principal, attempt_id, lock=True)
    view = await view_of(session, attempt)
    if attempt.status == "finished":
        return view
    attempt.status = "finished"
    attempt.finished_at = now = utcnow()
    if view.assessment.kind in FIXED_FORM_KINDS:
        await apply_skipped_items(
            session,
            district_id=attempt.district_id,
            learner_id=attempt.learner_id,
            form=[item_evidence(version) for _, version in sorted(view.items, key=_position)],
            answered_item_ids={str(r.item_id) for r in view.responses},
            now=now,
        )
    if view.assessment.kind == "diagnostic":
        difficulties = await items_repo.difficulties_by_skill(
            session, attempt.district_id, view.assessment.skill_codes
        )
        apply_results(view, difficulties)
    else:
        apply_results(view)
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
    attempt = await attempt_for(session, principal, attempt_id, lock=True)
    response = await repo.get_response(session, attempt.id, response_id=response_id)
    if response is None:
        raise NotFound("No such response in this attempt.", slug="response-not-found")
    if response.status != "pending":
        raise Conflict("This response is already scored.", slug="already-scored")
    versions = await items_repo.version_rows(session, [response.item_version_id])
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
    row = ResponseRow(
        response.id, response.item_id, response.item_version_id, response.answer,
        response.status, response.earned, response.possible, response.correct,
        response.created_at,
    )  # fmt: skip
    changes = await _scored(session, attempt, row, version, now)
    # Not practice again (the answer counted when it was given), but a mastery it brought earns
    # its badges.
    badges = await on_mastery_changes(
        session, attempt.district_id, attempt.learner_id, changes, now
    )
    if badges:
        await publish_many(session, badges)
    return await view_of(session, attempt), response
