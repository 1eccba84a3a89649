"""Evidence scored outside an attempt (issue 16, part 5): a teacher's rubric score of a learner's
own work, sent by pathways when a step's evidence is scored (docs/assessment.md, "Evidence from
pathways").

It updates mastery exactly as a rubric-scored response does: the rubric's share of the points is
a right answer at 80 % (``domain.scoring.rubric_correct``, the rule of ``rubric_score``), applied
by ``record_evidence`` (same model update, history row, ``mastery.changed`` through the outbox)
to a one-skill, teacher-scored "item" of average difficulty and no guess floor (nobody produces a
piece of work by guessing), followed by the mastery badges (``on_mastery_changes``, as after a
rubric score). History rows and ``mastery.changed`` say ``reason: "evidence"`` and name the
evidence id where an answer names its response.

Idempotent on the caller's evidence id: the record is inserted (and flushed) before mastery is
touched, so of two identical calls one inserts and applies, the other finds it (or trips the key)
and changes nothing. The same id with other content is a 409: it would be another score of the
same work.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_assessment.domain import mastery as rule
from pathwise_assessment.domain.scoring import rubric_correct
from pathwise_assessment.models import EvidenceRecord
from pathwise_assessment.repository import evidence as repo
from pathwise_assessment.service.mastery import record_evidence
from pathwise_assessment.service.motivation import on_mastery_changes
from pathwise_shared.auth import Principal
from pathwise_shared.db import begin_write
from pathwise_shared.db.outbox import publish_many
from pathwise_shared.problems import Conflict
from pathwise_shared.timeutil import utcnow

__all__ = ["EVIDENCE_REASON", "RecordedEvidence", "evidence_item", "record_scored_work"]

EVIDENCE_REASON = "evidence"


@dataclass(frozen=True)
class RecordedEvidence:
    record: EvidenceRecord
    recorded: bool  # False: this id was recorded before, nothing changed now


def evidence_item(skill_code: str) -> rule.ItemEvidence:
    """A scored piece of work as the model sees it: one skill, average difficulty (b = 0,
    a = 1), no guess floor. A right one counts towards the evidence floor as an average item's
    does; five in a row reach it, as with items."""
    return rule.ItemEvidence((skill_code,), 0.0, 1.0, None, 0.0)


def _same(record: EvidenceRecord, learner_id: uuid.UUID, skill_code: str, fraction: float) -> bool:
    return (
        record.learner_id == learner_id
        and record.skill_code == skill_code
        and abs(record.fraction - fraction) < 1e-9
    )


def _conflict() -> Conflict:
    return Conflict(
        "This evidence was already recorded with another score.", slug="evidence-conflict"
    )


async def record_scored_work(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    evidence_id: uuid.UUID,
    skill_code: str,
    fraction: float,
    scored_by: str,
    source: str,
) -> RecordedEvidence:
    district_id = principal.require_district()
    await begin_write(session)
    earlier = await repo.get_record(session, district_id, evidence_id)
    if earlier is not None:
        if not _same(earlier, learner_id, skill_code, fraction):
            raise _conflict()
        return RecordedEvidence(earlier, recorded=False)
    now = utcnow()
    record = EvidenceRecord(
        id=evidence_id,
        district_id=district_id,
        learner_id=learner_id,
        skill_code=skill_code,
        source=source,
        fraction=fraction,
        correct=rubric_correct(fraction),
        scored_by=scored_by[:200],
        created_at=now,
    )
    try:
        await repo.add_record(session, record)
    except IntegrityError as exc:
        # The same id recorded at this moment by another request (PostgreSQL: it waited for
        # that one's commit): it counted; this one must not. The caller's retry replays.
        raise Conflict(
            "This evidence is being recorded by another request.", slug="evidence-conflict"
        ) from exc
    changes = await record_evidence(
        session,
        district_id=district_id,
        learner_id=learner_id,
        response_id=evidence_id,
        item=evidence_item(skill_code),
        correct=record.correct,
        now=now,
        reason=EVIDENCE_REASON,
    )
    # As after a rubric score: not practice (the learner's work is not an answer here), but a
    # mastery it brought earns its badges.
    badges = await on_mastery_changes(session, district_id, learner_id, changes, now)
    if badges:
        await publish_many(session, badges)
    return RecordedEvidence(record, recorded=True)
