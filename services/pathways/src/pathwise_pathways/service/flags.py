"""Early-warning flags kept per learner: computed flags are synced to ``learner_flags`` and every
change is an event (docs/events.md): a new flag, or one on other evidence (a new ``key``), is
``learner.flagged``; a flag that no longer holds is deleted and ``learner.unflagged``.

When: on every class insights read (the teacher's dashboard, which has the roster and reads
assessment's signals for the whole class in one call). Not after each answer: that would put an
assessment round trip on every ``mastery.changed`` event, and a flag no one reads until the next
dashboard load changes nothing for the learner. A teacher dismisses a flag with a note; the
dismissal holds until the flag clears or its evidence changes (a new instance).
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.insights import Flag
from pathwise_pathways.models import LearnerFlag
from pathwise_pathways.repository import flags as repo
from pathwise_pathways.service.pathways.history import pathway_subject
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.outbox import publish
from pathwise_shared.db.uow import roll_back_now, unit_of_work
from pathwise_shared.events import EventEnvelope, new_event
from pathwise_shared.problems import NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["dismiss", "held_flags", "learner_flags", "sync_flags"]


def _event(kind: str, row: LearnerFlag, class_id: uuid.UUID | None) -> EventEnvelope:
    return new_event(
        kind,
        district_id=row.district_id,
        subject=pathway_subject(row.learner_id),
        data={
            "learner_id": str(row.learner_id),
            "flag_id": str(row.id),
            "code": row.code,
            "reason": row.code,
            "class_id": str(class_id) if class_id else None,
            "numbers": dict(row.numbers or {}),
        },
    )


def _changed(stored: Sequence[LearnerFlag], computed: Mapping[uuid.UUID, Sequence[Flag]]) -> bool:
    """Whether storing ``computed`` changes any row (most dashboard reads change nothing)."""
    now_held = {(lid, f.code): f for lid, flags in computed.items() for f in flags}
    if len(now_held) != len(stored):
        return True
    for row in stored:
        flag = now_held.get((row.learner_id, row.code))
        if (
            flag is None
            or flag.key != row.instance_key
            or flag.detail != row.detail
            or dict(flag.numbers) != row.numbers
        ):
            return True
    return False


async def _sync(
    session: AsyncSession,
    district_id: uuid.UUID,
    computed: Mapping[uuid.UUID, Sequence[Flag]],
    class_id: uuid.UUID | None,
    now: datetime,
) -> None:
    stored: dict[tuple[uuid.UUID, str], LearnerFlag] = {
        (r.learner_id, r.code): r
        for r in await repo.flags_of(session, district_id, list(computed), lock=True)
    }
    for lid, flags in computed.items():
        for flag in flags:
            row = stored.pop((lid, flag.code), None)
            if row is None or row.instance_key != flag.key:
                if row is None:
                    row = LearnerFlag(district_id=district_id, learner_id=lid, code=flag.code)
                    session.add(row)
                # A new instance: raised now, and no longer dismissed (the evidence changed).
                row.instance_key = flag.key
                row.raised_at = now
                row.dismissed_at = row.dismissed_by = row.dismissal_note = None
                row.detail, row.numbers, row.updated_at = flag.detail, dict(flag.numbers), now
                await session.flush()
                await publish(session, _event("learner.flagged", row, class_id))
            elif row.detail != flag.detail or row.numbers != dict(flag.numbers):
                # The same evidence, newer numbers: no event, a dismissal holds.
                row.detail, row.numbers, row.updated_at = flag.detail, dict(flag.numbers), now
    for row in stored.values():
        await publish(session, _event("learner.unflagged", row, class_id))
        await session.delete(row)
    await session.flush()


def held_flags(rows: Sequence[LearnerFlag]) -> dict[uuid.UUID, dict[str, str]]:
    """Learner → the flags stored for them (code → key): what the holds of the next computation
    start from (``domain.insights``: a raised flag clears only when its evidence is clearly gone)."""
    held: dict[uuid.UUID, dict[str, str]] = {}
    for row in rows:
        held.setdefault(row.learner_id, {})[row.code] = row.instance_key
    return held


def _by_learner(
    rows: Sequence[LearnerFlag], learner_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[LearnerFlag]]:
    out: dict[uuid.UUID, list[LearnerFlag]] = {lid: [] for lid in learner_ids}
    for row in rows:
        out.setdefault(row.learner_id, []).append(row)
    return out


async def sync_flags(
    session: AsyncSession,
    db: Database,
    district_id: uuid.UUID,
    computed: Mapping[uuid.UUID, Sequence[Flag]],
    class_id: uuid.UUID | None = None,
    now: datetime | None = None,
    stored: Sequence[LearnerFlag] | None = None,
) -> dict[uuid.UUID, list[LearnerFlag]]:
    """Store the flags just computed for these learners; learner → their stored flags.

    ``session`` is the read's (read-only); one statement there when nothing changed (none when
    the caller read the stored flags already and passes them as ``stored``). A change is
    written in a unit of work of its own, rows locked: two dashboards read at once may both add
    the same new flag, and the loser's write rolls back; it answers from what the winner stored
    (the events are the winner's)."""
    ids = list(computed)
    rows = list(stored) if stored is not None else await repo.flags_of(session, district_id, ids)
    if not _changed(rows, computed):
        return _by_learner(rows, ids)
    # The read's transaction ends before the write's begins: a request holds one connection at a
    # time. Holding the read's while waiting for a second, as many dashboards at once as the pool
    # has connections each held one and waited for another until the pool's timeout (30 s, then
    # 503s for them and for everything else in the service). Nothing is read after this; the
    # read's objects are not used again (the answer is read from the write).
    await roll_back_now(session)
    try:
        async with unit_of_work(db, write=True) as writing:
            await _sync(writing, district_id, computed, class_id, now or utcnow())
            stored = await repo.flags_of(writing, district_id, ids)
    except IntegrityError:
        async with unit_of_work(db, read_only=True) as reading:
            stored = await repo.flags_of(reading, district_id, ids)
    return _by_learner(stored, ids)


async def learner_flags(
    session: AsyncSession, district_id: uuid.UUID, learner_id: uuid.UUID
) -> list[LearnerFlag]:
    """The learner's flags as last computed (by the class insights read)."""
    return await repo.flags_of(session, district_id, [learner_id])


async def dismiss(
    session: AsyncSession,
    principal: Principal,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    code: str,
    note: str,
) -> LearnerFlag:
    row = await repo.get_flag(session, district_id, learner_id, code, lock=True)
    if row is None:
        raise NotFound("This learner has no such flag.", slug="flag-not-found")
    row.dismissed_at = utcnow()
    row.dismissed_by = principal.subject
    row.dismissal_note = note
    await session.flush()
    return row
