"""Every query of messages about a learner: the participant candidates' facts, threads, their
participants and read receipts, messages and attachments. Every statement names the district."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    and_,
    exists,
    false,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.messages import Candidate
from pathwise_profiles.models import (
    classes,
    enrollments,
    guardian_links,
    message_attachments,
    message_threads,
    messages,
    thread_participants,
    user_roles,
    user_schools,
    users,
)
from pathwise_profiles.repository.access import active_enrollment

__all__ = [
    "attachments_of",
    "bump_thread",
    "candidates",
    "get_attachment",
    "get_thread",
    "insert_attachments",
    "insert_message",
    "insert_participants",
    "insert_thread",
    "list_threads",
    "mark_read",
    "messages_of",
    "my_threads",
    "participants_of",
]


async def candidates(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
    today: date,
) -> list[Candidate]:
    """The facts of each named user that is an active user of the district (one query for the
    relations, one for the roles); a user not returned was not found."""
    if not user_ids:
        return []
    t = enrollments.alias("t")
    s = enrollments.alias("s")
    teaches = exists(
        select(literal(1))
        .select_from(t.join(s, s.c.class_id == t.c.class_id))
        .join(classes, classes.c.id == t.c.class_id)
        .where(
            t.c.user_id == users.c.id,
            t.c.role == "teacher",
            active_enrollment(t, today),
            s.c.user_id == learner_id,
            s.c.role == "student",
            active_enrollment(s, today),
            classes.c.status == "active",
        )
    )
    guardian = exists(
        select(literal(1)).where(
            guardian_links.c.guardian_id == users.c.id,
            guardian_links.c.student_id == learner_id,
            guardian_links.c.status == "active",
        )
    )
    a = user_schools.alias("a")
    b = user_schools.alias("b")
    same_school = exists(
        select(literal(1))
        .select_from(a.join(b, a.c.school_id == b.c.school_id))
        .where(a.c.user_id == users.c.id, b.c.user_id == learner_id)
    )
    stmt = select(
        users.c.id,
        teaches.label("teaches"),
        guardian.label("guardian_of"),
        same_school.label("same_school"),
    ).where(
        users.c.district_id == district_id,
        users.c.id.in_(list(user_ids)),
        users.c.status == "active",
        users.c.enabled.is_(True),
    )
    found = (await session.execute(stmt)).mappings().all()
    roles: dict[uuid.UUID, set[str]] = {}
    role_rows = await session.execute(
        select(user_roles.c.user_id, user_roles.c.role).where(
            user_roles.c.district_id == district_id,
            user_roles.c.user_id.in_([r["id"] for r in found]),
        )
    )
    for user_id, role in role_rows:
        roles.setdefault(user_id, set()).add(role)
    return [
        Candidate(
            user_id=r["id"],
            found=True,
            roles=frozenset(roles.get(r["id"], ())),
            teaches=bool(r["teaches"]),
            guardian_of=bool(r["guardian_of"]),
            same_school=bool(r["same_school"]),
        )
        for r in found
    ]


async def insert_thread(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(message_threads).values(**values))


async def insert_participants(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await session.execute(insert(thread_participants), list(rows))


async def insert_message(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(messages).values(**values))


async def insert_attachments(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(message_attachments), list(rows))


async def get_thread(
    session: AsyncSession,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    lock: bool = False,
) -> RowMapping | None:
    stmt = select(message_threads).where(
        message_threads.c.id == thread_id,
        message_threads.c.district_id == district_id,
        message_threads.c.learner_id == learner_id,
    )
    if lock:
        # A post takes the thread's row lock: its messages are numbered one at a time.
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).mappings().first()


async def bump_thread(session: AsyncSession, thread_id: uuid.UUID, seq: int, at: datetime) -> None:
    await session.execute(
        update(message_threads)
        .where(message_threads.c.id == thread_id)
        .values(last_seq=seq, last_message_at=at)
    )


async def participants_of(
    session: AsyncSession, district_id: uuid.UUID, thread_ids: Sequence[uuid.UUID]
) -> Sequence[RowMapping]:
    if not thread_ids:
        return []
    stmt = (
        select(thread_participants)
        .where(
            thread_participants.c.district_id == district_id,
            thread_participants.c.thread_id.in_(list(thread_ids)),
        )
        .order_by(thread_participants.c.thread_id, thread_participants.c.user_id)
    )
    return (await session.execute(stmt)).mappings().all()


async def list_threads(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    learner_id: uuid.UUID | None,
    participant: uuid.UUID | None,
    limit: int,
    after: uuid.UUID | None,
) -> Sequence[RowMapping]:
    """Threads by id (oldest first), with the participant's ``read_seq`` (0 for a moderator's
    listing): of one learner, of one participant, or both. One row past ``limit`` tells the
    page there is more."""
    where = [message_threads.c.district_id == district_id]
    if learner_id is not None:
        where.append(message_threads.c.learner_id == learner_id)
    if after is not None:
        where.append(message_threads.c.id > after)
    if participant is not None:
        stmt = select(message_threads, thread_participants.c.read_seq).join(
            thread_participants,
            and_(
                thread_participants.c.thread_id == message_threads.c.id,
                thread_participants.c.user_id == participant,
            ),
        )
    else:
        stmt = select(message_threads, literal(0).label("read_seq"))
    stmt = stmt.where(*where).order_by(message_threads.c.id).limit(limit + 1)
    return (await session.execute(stmt)).mappings().all()


async def messages_of(
    session: AsyncSession,
    district_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    after_seq: int,
    limit: int,
) -> Sequence[RowMapping]:
    stmt = (
        select(messages)
        .where(
            messages.c.district_id == district_id,
            messages.c.thread_id == thread_id,
            messages.c.seq > after_seq,
        )
        .order_by(messages.c.seq)
        .limit(limit + 1)
    )
    return (await session.execute(stmt)).mappings().all()


async def attachments_of(
    session: AsyncSession, district_id: uuid.UUID, message_ids: Sequence[uuid.UUID]
) -> Sequence[RowMapping]:
    if not message_ids:
        return []
    stmt = (
        select(message_attachments)
        .where(
            message_attachments.c.district_id == district_id,
            message_attachments.c.message_id.in_(list(message_ids)),
        )
        .order_by(message_attachments.c.id)
    )
    return (await session.execute(stmt)).mappings().all()


async def get_attachment(
    session: AsyncSession,
    district_id: uuid.UUID,
    thread_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> RowMapping | None:
    stmt = select(message_attachments).where(
        message_attachments.c.district_id == district_id,
        message_attachments.c.thread_id == thread_id,
        message_attachments.c.id == attachment_id,
    )
    return (await session.execute(stmt)).mappings().first()


async def mark_read(
    session: AsyncSession, thread_id: uuid.UUID, user_id: uuid.UUID, seq: int, at: datetime
) -> None:
    """Move the receipt forward only (a late or repeated call never moves it back)."""
    await session.execute(
        update(thread_participants)
        .where(
            thread_participants.c.thread_id == thread_id,
            thread_participants.c.user_id == user_id,
            thread_participants.c.read_seq < seq,
        )
        .values(read_seq=seq, read_at=at)
    )


def _related_now(
    user_id: uuid.UUID, roles: frozenset[str], today: date, *, learner_allowed: bool
) -> ColumnElement[bool]:
    """The user is related to the thread's learner today, by a relation one of their roles
    uses (the ``message`` rule of access_rules, as a correlated condition on
    ``message_threads.learner_id``): teaches them in an active class, an active guardian link,
    their school's administrator, or the learner themself when the district allows it."""
    learner = message_threads.c.learner_id
    holds: list[ColumnElement[bool]] = []
    if "teacher" in roles:
        t = enrollments.alias("mt_t")
        s = enrollments.alias("mt_s")
        holds.append(
            exists(
                select(literal(1))
                .select_from(t.join(s, s.c.class_id == t.c.class_id))
                .join(classes, classes.c.id == t.c.class_id)
                .where(
                    t.c.user_id == user_id,
                    t.c.role == "teacher",
                    active_enrollment(t, today),
                    s.c.user_id == learner,
                    s.c.role == "student",
                    active_enrollment(s, today),
                    classes.c.status == "active",
                )
            )
        )
    if "guardian" in roles:
        holds.append(
            exists(
                select(literal(1)).where(
                    guardian_links.c.guardian_id == user_id,
                    guardian_links.c.student_id == learner,
                    guardian_links.c.status == "active",
                )
            )
        )
    if "school_admin" in roles:
        a = user_schools.alias("mt_a")
        b = user_schools.alias("mt_b")
        holds.append(
            exists(
                select(literal(1))
                .select_from(a.join(b, a.c.school_id == b.c.school_id))
                .where(a.c.user_id == user_id, b.c.user_id == learner)
            )
        )
    if "student" in roles and learner_allowed:
        holds.append(learner == user_id)
    return or_(*holds) if holds else false()


async def my_threads(
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID,
    roles: frozenset[str],
    today: date,
    *,
    learner_allowed: bool,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None,
) -> Sequence[RowMapping]:
    """The user's threads across learners, newest message first (ties by id), with their
    ``read_seq``; only those whose learner they are related to today, checked for every thread
    in this one statement (a relation that ended hides the thread and its subject). One row
    past ``limit`` tells the page there is more."""
    where: list[ColumnElement[bool]] = [
        message_threads.c.district_id == district_id,
        _related_now(user_id, roles, today, learner_allowed=learner_allowed),
    ]
    if before is not None:
        at, thread_id = before
        where.append(
            or_(
                message_threads.c.last_message_at < at,
                and_(message_threads.c.last_message_at == at, message_threads.c.id < thread_id),
            )
        )
    stmt = (
        select(message_threads, thread_participants.c.read_seq)
        .join(
            thread_participants,
            and_(
                thread_participants.c.thread_id == message_threads.c.id,
                thread_participants.c.user_id == user_id,
                thread_participants.c.district_id == district_id,
            ),
        )
        .where(*where)
        .order_by(message_threads.c.last_message_at.desc(), message_threads.c.id.desc())
        .limit(limit + 1)
    )
    return (await session.execute(stmt)).mappings().all()
