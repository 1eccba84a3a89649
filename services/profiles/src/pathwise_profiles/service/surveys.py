"""Student voice surveys (docs/profiles.md, "Student voice surveys"): staff create and send
them, learners answer once, a consented answer updates the profile in the same transaction, the
sender reads per-learner answers and per-option counts."""

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.surveys import (
    Question,
    answer_errors,
    count_answers,
    profile_changes,
    question_errors,
    question_id,
)
from pathwise_profiles.domain.visibility import reader_for
from pathwise_profiles.repository import lookups
from pathwise_profiles.repository import profiles as profiles_repo
from pathwise_profiles.repository import surveys as repo
from pathwise_profiles.schemas.surveys import (
    AnswersIn,
    AssignmentOut,
    LearnerAnswersOut,
    QuestionCountOut,
    QuestionOut,
    SendIn,
    SendOut,
    SurveyCreate,
    SurveyOut,
    SurveyResultsOut,
)
from pathwise_profiles.service.access import check_access, require_access
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.profiles import apply_survey_answers
from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "answer_survey",
    "create_survey",
    "get_assignment",
    "get_survey",
    "list_assignments",
    "list_surveys",
    "results",
    "send_survey",
]

_STAFF_ROLES = ("district_admin", "school_admin", "teacher")


def _survey_out(row: Mapping[Any, Any], survey_id: uuid.UUID | None = None) -> SurveyOut:
    return SurveyOut(
        id=survey_id or row["id"],
        title=row["title"],
        questions=[QuestionOut.model_validate(q) for q in row["questions"]],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


def _questions(row: Mapping[Any, Any]) -> list[Question]:
    return [Question.of(q) for q in row["questions"]]


async def create_survey(
    session: AsyncSession, principal: Principal, body: SurveyCreate
) -> SurveyOut:
    district = principal.require_district()
    raw = [q.model_dump() for q in body.questions]
    errors = question_errors(raw)
    if errors:
        raise UnprocessableContent(
            "Some questions are not valid: " + "; ".join(f"{e['field']}: {e['message']}"
                                                         for e in errors),
            slug="survey-invalid",
            errors=errors,
        )  # fmt: skip
    questions = [
        {
            "id": question_id(i),
            "kind": q["kind"],
            "prompt": q["prompt"],
            "options": q["options"] or [],
            "maps_to": q["maps_to"],
        }
        for i, q in enumerate(raw)
    ]
    values = {
        "id": new_id(),
        "district_id": district,
        "title": body.title,
        "questions": questions,
        "created_by": principal.subject,
        "created_by_role": next((r for r in _STAFF_ROLES if principal.has_role(r)), "system"),
        "created_at": utcnow(),
    }
    await repo.insert_survey(session, values)
    return _survey_out(values)


async def _own_survey(
    session: AsyncSession, principal: Principal, survey_id: uuid.UUID
) -> RowMapping:
    """The caller's own survey; another's answers 404 as a missing one (surveys are not
    shared between staff: the answers are the learners' voice to the one who asked)."""
    row = await repo.get_survey(session, principal.require_district(), survey_id)
    if row is None or (row["created_by"] != principal.subject and not principal.is_system):
        raise NotFound("No such survey of yours.", slug="survey-not-found")
    return row


async def get_survey(
    session: AsyncSession, principal: Principal, survey_id: uuid.UUID
) -> SurveyOut:
    return _survey_out(await _own_survey(session, principal, survey_id))


async def list_surveys(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> Page[SurveyOut]:
    rows = await repo.list_surveys(
        session,
        principal.require_district(),
        principal.subject,
        after=decode_id_cursor(cursor),
        limit=limit,
    )
    return page_of(rows, limit, lambda r: [r["id"]], lambda r: _survey_out(r))


async def send_survey(
    session: AsyncSession, principal: Principal, survey_id: uuid.UUID, body: SendIn
) -> SendOut:
    """One assignment per learner: a class's active students (a class the caller teaches or
    administers) or named learners the caller may write for (their teacher or admin). One
    learner out of reach refuses the whole send; a learner who has the survey keeps it."""
    survey = await _own_survey(session, principal, survey_id)
    district = survey["district_id"]
    if body.class_id is not None:
        await require_access(session, principal, "write", "class", body.class_id)
        learners = [
            r["id"] for r in await lookups.class_learners(session, body.class_id, utcnow().date())
        ]
    else:
        learners = list(dict.fromkeys(body.learner_ids or []))
        for learner_id in learners:
            await require_access(session, principal, "write", "learner", learner_id)
            if await profiles_repo.get_profile(session, learner_id, district) is None:
                raise NotFound("No such learner in your district.", slug="learner-not-found")
    have = await repo.learners_with(session, survey_id, learners)
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "district_id": district,
            "survey_id": survey_id,
            "learner_id": learner_id,
            "class_id": body.class_id,
            "sent_by": principal.subject,
            "sent_at": now,
        }
        for learner_id in learners
        if learner_id not in have
    ]
    await repo.insert_assignments(session, rows)
    return SendOut(survey_id=survey_id, sent=len(rows), already_sent=len(learners) - len(rows))


# the learner ------------------------------------------------------------------------------------


async def _learner(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, action: str
) -> uuid.UUID:
    """Only the learner themself: a survey is addressed to them (guardians and staff read the
    results through the sender's view, never the learner's inbox)."""
    decision = await require_access(session, principal, action, "learner", learner_id)
    if reader_for(decision.reason) != "student":
        raise Forbidden("Only the learner answers and reads their surveys.", slug="learner-only")
    return principal.require_district()


def _assignment_out(row: Mapping[Any, Any]) -> AssignmentOut:
    return AssignmentOut.model_validate(
        {
            "survey": _survey_out(row, row["survey_id"]),
            "learner_id": row["learner_id"],
            "status": "open" if row["answered_at"] is None else "answered",
            "sent_at": row["sent_at"],
            "answered_at": row["answered_at"],
            "answers": row["answers"],
            "applied_fields": row["applied_fields"] or [],
        }
    )


async def list_assignments(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    status: Literal["open", "answered"],
    cursor: str | None,
    limit: int,
) -> Page[AssignmentOut]:
    district = await _learner(session, principal, learner_id, "read")
    rows = await repo.list_assignments(
        session, district, learner_id, status=status, after=decode_id_cursor(cursor), limit=limit
    )
    return page_of(rows, limit, lambda r: [r["id"]], _assignment_out)


async def get_assignment(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, survey_id: uuid.UUID
) -> AssignmentOut:
    district = await _learner(session, principal, learner_id, "read")
    row = await repo.get_assignment(session, district, learner_id, survey_id)
    if row is None:
        raise NotFound("No such survey sent to this learner.", slug="survey-not-found")
    return _assignment_out(row)


async def answer_survey(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    survey_id: uuid.UUID,
    body: AnswersIn,
) -> AssignmentOut:
    """Once per survey. The answers, the consented profile change and ``survey.answered`` are
    one transaction: a refused profile change stores no answer either."""
    district = await _learner(session, principal, learner_id, "write")
    row = await repo.get_assignment(session, district, learner_id, survey_id)
    if row is None:
        raise NotFound("No such survey sent to this learner.", slug="survey-not-found")
    if row["answered_at"] is not None:
        raise Conflict("You answered this survey already.", slug="survey-already-answered")
    questions = _questions(row)
    answers = [a.model_dump() for a in body.answers]
    errors = answer_errors(questions, answers)
    if errors:
        raise UnprocessableContent(
            "Some answers do not fit the survey: "
            + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            slug="survey-answer-invalid",
            errors=errors,
        )
    applied: list[str] = []
    if any(a["apply_to_profile"] for a in answers):
        profile = await profiles_repo.get_profile(session, learner_id, district)
        if profile is None:
            raise NotFound("No such learner in your district.", slug="learner-not-found")
        changes = profile_changes(questions, answers, profile)
        applied = await apply_survey_answers(session, principal, learner_id, survey_id, changes)
    now = utcnow()
    if not await repo.mark_answered(
        session, row["id"], answers=answers, applied_fields=applied, at=now
    ):
        raise Conflict("You answered this survey already.", slug="survey-already-answered")
    # Thin: which survey, whose answer, which profile fields changed; never the answers.
    await emit(
        session,
        "survey.answered",
        district,
        f"learner/{learner_id}",
        {"survey_id": str(survey_id), "learner_id": str(learner_id), "applied_fields": applied},
    )
    return _assignment_out(
        {**dict(row), "answers": answers, "applied_fields": applied, "answered_at": now}
    )


# the sender's results ---------------------------------------------------------------------------


async def results(
    session: AsyncSession, principal: Principal, survey_id: uuid.UUID
) -> SurveyResultsOut:
    """Per learner the answers and, over the same learners, the counts per option. A teacher
    sees only learners they teach now (a learner who left the class leaves the results); an
    admin every learner of their school or district the survey went to."""
    survey = await _own_survey(session, principal, survey_id)
    shown = []
    for row in await repo.assignments_of(session, survey["district_id"], survey_id):
        decision = await check_access(session, principal, "read", "learner", row["learner_id"])
        if decision.allowed and reader_for(decision.reason) in {"teacher", "admin"}:
            shown.append(row)
    answered = [r for r in shown if r["answered_at"] is not None]
    counts = count_answers(_questions(survey), (r["answers"] for r in answered))
    return SurveyResultsOut(
        survey=_survey_out(survey),
        sent=len(shown),
        answered=len(answered),
        learners=[
            LearnerAnswersOut.model_validate(
                {
                    "learner_id": r["learner_id"],
                    "answered_at": r["answered_at"],
                    "answers": r["answers"],
                }
            )
            for r in shown
        ],
        counts=[QuestionCountOut(question_id=qid, **c) for qid, c in counts.items()],
    )
