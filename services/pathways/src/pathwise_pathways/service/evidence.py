"""Evidence in the learner's chosen format (issue 16, part 5; docs/pathways.md, "Evidence in the
learner's format").

A teacher of the learner allows formats on a step of the learner's pathway and gives the rubric
(``put_rule``). The learner submits one of their own portfolio artifacts whose kind carries an
allowed format (``submit``). A teacher scores it with the rubric (``score``): the fraction goes
to assessment as mastery evidence, where it moves mastery as a rubric-scored answer does.

Who may call what is decided at the gateway from the routes' declarations; here: the step must
be on the learner's current pathway, the artifact the learner's own, one submission per step
pending at a time, and a guardian sees a submission only when they may see its artifact.

The score is written here only once assessment accepted it: the submission is read and the
rubric applied, assessment records the evidence (idempotent on the submission id), then the
score and ``evidence.scored`` are written in one unit of work. If assessment cannot be reached,
the request is a 503 and nothing changed here; if the write here fails after assessment
accepted, the submission is still pending and the teacher's retry finds the evidence recorded
in assessment (it is not counted again) and writes the score.
"""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain import evidence as rules
from pathwise_pathways.models import (
    EvidenceSubmission,
    PathwayStep,
    PortfolioArtifact,
    StepEvidenceRule,
)
from pathwise_pathways.repository import evidence as repo
from pathwise_pathways.repository import pathways as pathways_repo
from pathwise_pathways.repository import portfolio as portfolio_repo
from pathwise_pathways.service.portfolio import sees_everything, visible
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database, begin_write
from pathwise_shared.db.outbox import publish
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.events import new_event
from pathwise_shared.problems import Conflict, NotFound, UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "get_rule",
    "get_submission",
    "list_submissions",
    "put_rule",
    "score",
    "submit",
]


def _subject(learner_id: uuid.UUID) -> str:
    """The events' subject: this service is the one writer of a learner's step evidence."""
    return f"learner/{learner_id}/evidence"


def _no_submission() -> NotFound:
    return NotFound("This step has no such evidence.", slug="evidence-not-found")


async def _step_of(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID, step_id: uuid.UUID
) -> PathwayStep:
    pathway = await pathways_repo.get_pathway(session, district_id, learner_id)
    steps = await pathways_repo.steps_of(session, pathway.id) if pathway is not None else []
    for step in steps:
        if step.id == step_id:
            return step
    raise NotFound("This step is not on the learner's current pathway.", slug="step-not-found")


async def get_rule(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, step_id: uuid.UUID
) -> tuple[PathwayStep, StepEvidenceRule | None]:
    district_id = principal.require_district()
    step = await _step_of(session, district_id, learner_id, step_id)
    return step, await repo.get_rule(session, district_id, step.id)


async def put_rule(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    formats: Sequence[str],
    rubric: rules.Rubric | None,
    if_match: str | None,
) -> tuple[PathwayStep, StepEvidenceRule]:
    """Set what the step may be shown with (empty formats: only its skill checks again).
    Submissions already made keep the rubric they were made under."""
    district_id = principal.require_district()
    await begin_write(session)
    step = await _step_of(session, district_id, learner_id, step_id)
    rule = await repo.get_rule(session, district_id, step.id, lock=True)
    rules.require_rule_match(if_match, rule.version if rule is not None else 0)
    stored = rubric.model_dump(mode="json") if rubric is not None and formats else None
    if rule is None:
        rule = StepEvidenceRule(
            step_id=step.id,
            district_id=district_id,
            learner_id=learner_id,
            formats=list(formats),
            rubric=stored,
            version=1,
            updated_by=principal.subject[:200],
        )
        session.add(rule)
    else:
        rule.formats = list(formats)
        rule.rubric = stored
        rule.version += 1
        rule.updated_by = principal.subject[:200]
    await session.flush()
    return step, rule


async def submit(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    artifact_id: uuid.UUID,
    chosen_format: str | None,
) -> EvidenceSubmission:
    """The learner offers one of their own artifacts as evidence for a step of their pathway."""
    district_id = principal.require_district()
    await begin_write(session)  # the pending check and the insert see the same state
    step = await _step_of(session, district_id, learner_id, step_id)
    artifact = await portfolio_repo.get_artifact(session, district_id, learner_id, artifact_id)
    if artifact is None:
        # Another learner's artifact and one that does not exist answer the same.
        raise UnprocessableContent(
            "This artifact is not in your portfolio.",
            slug="artifact-not-yours",
            field="artifact_id",
        )
    rule = await repo.get_rule(session, district_id, step.id)
    # A rule with formats always has its rubric (``put_rule``); no rubric, no evidence.
    allowed = list(rule.formats) if rule is not None and rule.rubric is not None else []
    fmt = rules.format_for(artifact.kind, allowed, chosen_format)
    if rule is None or rule.rubric is None:  # pragma: no cover - format_for refused already
        raise AssertionError("a step that takes evidence has a rubric")
    if await repo.pending_of_step(session, district_id, learner_id, step.id) is not None:
        raise _pending()
    rubric = rules.Rubric.model_validate(rule.rubric)
    row = EvidenceSubmission(
        district_id=district_id,
        learner_id=learner_id,
        step_id=step.id,
        skill_code=step.skill_code,
        artifact_id=artifact.id,
        artifact_kind=artifact.kind,
        format=fmt,
        rubric=rule.rubric,
        status="pending",
        open_step_id=step.id,
        max_points=rubric.max_points,
        created_by=principal.subject[:200],
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # a submission for the same step at the same moment
        raise _pending() from exc
    return row


def _pending() -> Conflict:
    return Conflict(
        "Evidence for this step is waiting for its score: wait for it before sending more.",
        slug="evidence-pending",
    )


async def list_submissions(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    step_id: uuid.UUID | None,
    status: str | None,
    policy: str,
    after: uuid.UUID | None,
    limit: int,
) -> list[EvidenceSubmission]:
    """Oldest first; a guardian sees the submissions whose artifact they may see."""
    everything = sees_everything(principal)
    if not everything and policy == "never":
        return []
    return await repo.list_submissions(
        session,
        principal.require_district(),
        learner_id,
        step_id=step_id,
        status=status,
        shared_only=not everything,
        after=after,
        limit=limit,
    )


async def _visible_submission(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    submission_id: uuid.UUID,
    policy: str,
    *,
    lock: bool = False,
) -> tuple[EvidenceSubmission, PortfolioArtifact]:
    found = await repo.get_submission(
        session, principal.require_district(), learner_id, submission_id, lock=lock
    )
    if found is None or found[0].step_id != step_id or not visible(principal, found[1], policy):
        raise _no_submission()
    return found


async def get_submission(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    submission_id: uuid.UUID,
    *,
    policy: str,
) -> EvidenceSubmission:
    row, _ = await _visible_submission(
        session, principal, learner_id, step_id, submission_id, policy
    )
    return row


def _settled(row: EvidenceSubmission, levels: Mapping[str, str]) -> EvidenceSubmission:
    """A submission already scored: the same levels again are the same score (a retry), any
    other is a second score of the same work (409)."""
    if dict(row.levels or {}) == dict(levels):
        return row
    raise Conflict("This evidence is already scored.", slug="already-scored")


async def score(
    db: Database,
    upstream: Upstream,
    principal: Principal,
    learner_id: uuid.UUID,
    step_id: uuid.UUID,
    submission_id: uuid.UUID,
    levels: Mapping[str, str],
    comment: str | None,
    *,
    policy: str,
) -> tuple[EvidenceSubmission, bool]:
    """Score the submission with its rubric; returns it and whether this call scored it (False:
    a retry of a score already recorded). Assessment first, then here (module docstring)."""
    district_id = principal.require_district()
    async with unit_of_work(db, read_only=True) as session:
        row, _ = await _visible_submission(
            session, principal, learner_id, step_id, submission_id, policy
        )
        if row.status == "scored":
            return _settled(row, levels), False
        result = rules.score_rubric(rules.Rubric.model_validate(row.rubric), levels)
        skill_code = row.skill_code

    acting = Principal(subject="system:pathways-evidence", kind="system", district_id=district_id)
    recorded = await upstream.record_evidence(
        acting,
        learner_id,
        {
            "evidence_id": str(submission_id),
            "skill_code": skill_code,
            "fraction": result.fraction,
            "scored_by": principal.subject[:200],
        },
    )

    async with unit_of_work(db, write=True) as session:
        row, _ = await _visible_submission(
            session, principal, learner_id, step_id, submission_id, policy, lock=True
        )
        if row.status == "scored":  # another request scored it meanwhile
            return _settled(row, levels), False
        row.status = "scored"
        row.open_step_id = None
        row.levels = dict(levels)
        row.points = result.points
        row.max_points = result.max_points
        row.fraction = result.fraction
        row.correct = bool(recorded.get("correct"))
        row.comment = comment
        row.scored_by = principal.subject[:200]
        row.scored_at = utcnow()
        await session.flush()
        await publish(session, _scored_event(row))
    return row, True


def _scored_event(row: EvidenceSubmission) -> Any:
    return new_event(
        "evidence.scored",
        district_id=row.district_id,
        subject=_subject(row.learner_id),
        data={
            "learner_id": str(row.learner_id),
            "submission_id": str(row.id),
            "step_id": str(row.step_id),
            "skill_code": row.skill_code,
            "artifact_id": str(row.artifact_id),
        },
    )
