"""Messages about a learner (docs/profiles.md, "Messages"): threads between the learner's
teachers, guardians and school administrators (and the learner, when the district allows), read
receipts, attachments, and the district administrator's read-only moderation.

The gateway has already checked the caller's relation to the learner (the routes' declarations:
``message`` to write, ``read`` to read); this service checks it again (the same rule, one query)
and applies what only it knows: who takes part in a thread, and who sees it. A thread is seen by
its participants and by the district's administrators, no one else: a teacher of the learner who
is not a participant gets 404, as for a thread that does not exist.

Nothing half-written: a thread, its participants, its first message and its ``message.posted``
event are written in one unit of work, after every participant is checked. An attachment is
checked (type sniffed from its first bytes, size) before it is stored; it is then stored under a
random key and the message row, the attachment row and the event are written in one unit of
work. If that fails, the file is deleted again.
"""

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain import messages as rules
from pathwise_profiles.repository import messages as repo
from pathwise_profiles.schemas.messages import (
    AttachmentOut,
    MessageOut,
    ParticipantOut,
    ReadOut,
    ThreadCreate,
    ThreadOut,
    ThreadSummary,
)
from pathwise_profiles.service.access import require_access
from pathwise_profiles.service.events import emit
from pathwise_shared import files
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.ids import new_id
from pathwise_shared.pagination import Page, decode_cursor, encode_cursor, page_of
from pathwise_shared.problems import BadRequest, NotFound
from pathwise_shared.storage import FileStore
from pathwise_shared.timeutil import utcnow

__all__ = [
    "Download",
    "Upload",
    "create_thread",
    "download",
    "get_thread",
    "list_messages",
    "list_threads",
    "mark_read",
    "my_threads",
    "post_message",
]

MESSAGES_IN_VIEW = 50


@dataclass
class Upload:
    """An attachment: its spooled content (read from the start), size and the client's name
    (a display name only)."""

    source: BinaryIO
    size: int
    filename: str | None


@dataclass
class Download:
    media_type: str
    size: int
    filename: str
    chunks: AsyncIterator[bytes]


def _not_found() -> NotFound:
    return NotFound("This learner has no such thread.", slug="thread-not-found")


def _user_id(principal: Principal) -> uuid.UUID:
    uid = principal.user_id if principal.kind == "user" else None
    if uid is None:
        # Clients and jobs never take part (the routes admit users only).
        raise NotFound("Only people take part in threads.", slug="thread-not-found")
    return uid


def _participants_out(rows: Sequence[RowMapping]) -> list[ParticipantOut]:
    return [
        ParticipantOut(
            user_id=r["user_id"], role=r["role"], read_seq=r["read_seq"], read_at=r["read_at"]
        )
        for r in rows
    ]


def _summary(
    thread: Mapping[Any, Any], participants: Sequence[RowMapping], read_seq: int, viewer: str
) -> dict[str, Any]:
    return {
        "id": thread["id"],
        "learner_id": thread["learner_id"],
        "subject": thread["subject"],
        "created_by": thread["created_by"],
        "created_at": thread["created_at"],
        "last_message_at": thread["last_message_at"],
        "message_count": thread["last_seq"],
        "unread": rules.unread(thread["last_seq"], read_seq) if viewer == "participant" else 0,
        "participants": _participants_out(participants),
    }


def _download_path(learner_id: uuid.UUID, thread_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    return f"/v1/learners/{learner_id}/threads/{thread_id}/attachments/{attachment_id}"


def _messages_out(
    learner_id: uuid.UUID,
    rows: Sequence[Mapping[Any, Any]],
    attachments: Sequence[Mapping[Any, Any]],
) -> list[MessageOut]:
    by_message: dict[uuid.UUID, list[AttachmentOut]] = {}
    for a in attachments:
        by_message.setdefault(a["message_id"], []).append(
            AttachmentOut(
                id=a["id"],
                media_type=a["media_type"],
                size_bytes=a["size_bytes"],
                filename=a["filename"],
                download=_download_path(learner_id, a["thread_id"], a["id"]),
            )
        )
    return [
        MessageOut(
            id=m["id"],
            thread_id=m["thread_id"],
            seq=m["seq"],
            author_id=m["author_id"],
            body=m["body"],
            created_at=m["created_at"],
            attachments=by_message.get(m["id"], []),
        )
        for m in rows
    ]


async def _posted(
    session: AsyncSession,
    thread: Mapping[Any, Any],
    message_id: uuid.UUID,
    author_id: uuid.UUID,
    participants: Sequence[uuid.UUID],
) -> None:
    """``message.posted`` in the message's transaction. Thin: ids only, never the text, so a
    notification can be built from it without carrying the message anywhere."""
    await emit(
        session,
        "message.posted",
        thread["district_id"],
        f"learner/{thread['learner_id']}/threads",
        {
            "thread_id": str(thread["id"]),
            "message_id": str(message_id),
            "learner_id": str(thread["learner_id"]),
            "author_user_id": str(author_id),
            "recipient_user_ids": [str(p) for p in participants if p != author_id],
        },
    )


async def create_thread(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    body: ThreadCreate,
    *,
    learner_allowed: bool,
) -> ThreadOut:
    await require_access(session, principal, "message", "learner", learner_id)
    district_id = principal.require_district()
    author = _user_id(principal)
    text = rules.check_body(body.body)
    named = list(dict.fromkeys(body.participant_ids))
    found = await repo.candidates(
        session, district_id, learner_id, [author, *named], utcnow().date()
    )
    roles = rules.check_participants(
        author, named, found, learner_id, learner_allowed=learner_allowed
    )
    now = utcnow()
    thread: dict[str, Any] = {
        "id": new_id(),
        "district_id": district_id,
        "learner_id": learner_id,
        "subject": body.subject,
        "created_by": author,
        "last_seq": 1,
        "created_at": now,
        "last_message_at": now,
    }
    await repo.insert_thread(session, thread)
    await repo.insert_participants(
        session,
        [
            {
                "thread_id": thread["id"],
                "user_id": user_id,
                "district_id": district_id,
                "role": role,
                # The author has read what they wrote.
                "read_seq": 1 if user_id == author else 0,
                "read_at": now if user_id == author else None,
            }
            for user_id, role in roles.items()
        ],
    )
    message: dict[str, Any] = {
        "id": new_id(),
        "district_id": district_id,
        "thread_id": thread["id"],
        "seq": 1,
        "author_id": author,
        "body": text,
        "created_at": now,
    }
    await repo.insert_message(session, message)
    await _posted(session, thread, message["id"], author, list(roles))
    participants = await repo.participants_of(session, district_id, [thread["id"]])
    return ThreadOut(
        **_summary(thread, participants, 1, "participant"),
        viewer="participant",
        messages=_messages_out(learner_id, [message], []),
    )


async def _visible(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    learner_allowed: bool,
    lock: bool = False,
) -> tuple[RowMapping, Sequence[RowMapping], rules.Viewer]:
    thread = await repo.get_thread(
        session, principal.require_district(), learner_id, thread_id, lock=lock
    )
    if thread is None:
        raise _not_found()
    participants = await repo.participants_of(session, thread["district_id"], [thread_id])
    viewer = rules.viewer_of(
        principal,
        [p["user_id"] for p in participants],
        learner_id,
        learner_allowed=learner_allowed,
    )
    # Not a participant (nor the moderator) is as if there were no such thread.
    if viewer is None:
        raise _not_found()
    return thread, participants, viewer


def _read_seq(principal: Principal, participants: Sequence[RowMapping]) -> int:
    uid = principal.user_id
    return next((p["read_seq"] for p in participants if p["user_id"] == uid), 0)


async def list_threads(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    learner_allowed: bool,
    limit: int,
    cursor: str | None,
) -> Page[ThreadSummary]:
    """The caller's threads about the learner, oldest first, with unread counts; a district
    administrator (moderation) lists every thread about the learner."""
    await require_access(session, principal, "read", "learner", learner_id)
    district_id = principal.require_district()
    after = _id_cursor(cursor)
    uid = principal.user_id if principal.kind == "user" else None
    moderator = principal.kind == "user" and principal.has_role("district_admin")
    if uid is None or (uid == learner_id and not learner_allowed and not moderator):
        return Page[ThreadSummary](items=[])
    rows = await repo.list_threads(
        session,
        district_id,
        learner_id=learner_id,
        participant=None if moderator else uid,
        limit=limit,
        after=after,
    )
    people = await repo.participants_of(session, district_id, [r["id"] for r in rows[:limit]])
    by_thread: dict[uuid.UUID, list[RowMapping]] = {}
    for p in people:
        by_thread.setdefault(p["thread_id"], []).append(p)

    def convert(row: RowMapping) -> ThreadSummary:
        mine = by_thread.get(row["id"], [])
        viewer = "participant" if any(p["user_id"] == uid for p in mine) else "moderator"
        return ThreadSummary(**_summary(row, mine, _read_seq(principal, mine), viewer))

    return page_of(rows, limit, lambda r: (r["id"],), convert)


async def my_threads(
    session: AsyncSession,
    principal: Principal,
    *,
    learner_allowed: bool,
    limit: int,
    cursor: str | None,
) -> Page[ThreadSummary]:
    """The caller's threads across all the learners they take part about, newest message first,
    with their unread counts. The caller's relation to each thread's learner is checked again,
    as it is today, for every thread in the listing's own query: a teacher whose class ended or
    a guardian whose link was removed no longer sees the thread (nor its subject). A district
    administrator takes part in no thread: their list is empty (they moderate per learner)."""
    district_id = principal.require_district()
    before = _time_id_cursor(cursor)
    uid = principal.user_id if principal.kind == "user" else None
    if uid is None:
        return Page[ThreadSummary](items=[])
    rows = await repo.my_threads(
        session,
        district_id,
        uid,
        frozenset(principal.roles),
        utcnow().date(),
        learner_allowed=learner_allowed,
        limit=limit,
        before=before,
    )
    people = await repo.participants_of(session, district_id, [r["id"] for r in rows[:limit]])
    by_thread: dict[uuid.UUID, list[RowMapping]] = {}
    for p in people:
        by_thread.setdefault(p["thread_id"], []).append(p)
    return page_of(
        rows,
        limit,
        lambda r: (r["last_message_at"].isoformat(), r["id"]),
        lambda r: ThreadSummary(
            **_summary(r, by_thread.get(r["id"], []), r["read_seq"], "participant")
        ),
    )


def _time_id_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """(last message time, thread id) of the last thread of the previous page."""
    if cursor is None:
        return None
    at, value = decode_cursor(cursor, 2)
    try:
        moment, thread_id = datetime.fromisoformat(at), uuid.UUID(value)
    except ValueError as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc
    if moment.tzinfo is None:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor")
    return moment, thread_id


def _id_cursor(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    (value,) = decode_cursor(cursor)
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc


def _seq_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    (value,) = decode_cursor(cursor)
    if not value.isdigit():
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor")
    return int(value)


async def _message_page(
    session: AsyncSession, thread: RowMapping, learner_id: uuid.UUID, after_seq: int, limit: int
) -> Page[MessageOut]:
    rows = await repo.messages_of(
        session, thread["district_id"], thread["id"], after_seq=after_seq, limit=limit
    )
    shown = rows[:limit]
    attachments = await repo.attachments_of(
        session, thread["district_id"], [m["id"] for m in shown]
    )
    items = _messages_out(learner_id, shown, attachments)
    more = len(rows) > limit
    return Page[MessageOut](
        items=items, next_cursor=encode_cursor(items[-1].seq) if more and items else None
    )


async def get_thread(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    learner_allowed: bool,
) -> ThreadOut:
    """The thread, who has read up to where, and its first messages."""
    await require_access(session, principal, "read", "learner", learner_id)
    thread, participants, viewer = await _visible(
        session, principal, learner_id, thread_id, learner_allowed=learner_allowed
    )
    page = await _message_page(session, thread, learner_id, 0, MESSAGES_IN_VIEW)
    return ThreadOut(
        **_summary(thread, participants, _read_seq(principal, participants), viewer),
        viewer=viewer,
        messages=page.items,
        next_cursor=page.next_cursor,
    )


async def list_messages(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    learner_allowed: bool,
    limit: int,
    cursor: str | None,
) -> Page[MessageOut]:
    await require_access(session, principal, "read", "learner", learner_id)
    thread, _, _ = await _visible(
        session, principal, learner_id, thread_id, learner_allowed=learner_allowed
    )
    return await _message_page(session, thread, learner_id, _seq_cursor(cursor), limit)


async def _writable(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    learner_allowed: bool,
    lock: bool = False,
) -> tuple[RowMapping, Sequence[RowMapping]]:
    await require_access(session, principal, "message", "learner", learner_id)
    thread, participants, viewer = await _visible(
        session, principal, learner_id, thread_id, learner_allowed=learner_allowed, lock=lock
    )
    if viewer != "participant":
        # Unreachable through the routes (district admins may not call them); kept so a new
        # caller of this function cannot write as a moderator.
        raise _not_found()
    return thread, participants


async def post_message(
    db: Database,
    store: FileStore,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    body: str,
    upload: Upload | None,
    *,
    learner_allowed: bool,
    limits: Mapping[str, int],
) -> MessageOut:
    """A participant's message, with an optional file. Every check runs before the file is
    stored; the rows and the event are written in one unit of work after it."""
    text = rules.check_body(body)
    media_type = None
    if upload is not None:
        head = upload.source.read(files.SNIFF_BYTES)
        upload.source.seek(0)
        kind, media_type = files.sniff_any(head, rules.ATTACHMENT_KINDS)
        files.check_size(upload.size, kind, limits)
    # The participant check before a byte is stored (a refused caller leaves nothing behind).
    async with unit_of_work(db, read_only=True) as session:
        await _writable(session, principal, learner_id, thread_id, learner_allowed=learner_allowed)

    key = rules.new_attachment_key(learner_id) if upload is not None else None
    if upload is not None and key is not None and media_type is not None:
        await store.put(key, upload.source, media_type)
    try:
        async with unit_of_work(db, write=True) as session:
            thread, participants = await _writable(
                session,
                principal,
                learner_id,
                thread_id,
                learner_allowed=learner_allowed,
                lock=True,
            )
            author = _user_id(principal)
            now = utcnow()
            seq = thread["last_seq"] + 1
            message: dict[str, Any] = {
                "id": new_id(),
                "district_id": thread["district_id"],
                "thread_id": thread_id,
                "seq": seq,
                "author_id": author,
                "body": text,
                "created_at": now,
            }
            await repo.insert_message(session, message)
            await repo.bump_thread(session, thread_id, seq, now)
            await repo.mark_read(session, thread_id, author, seq, now)
            attachments: list[dict[str, Any]] = []
            if upload is not None and key is not None and media_type is not None:
                attachments.append(
                    {
                        "id": new_id(),
                        "district_id": thread["district_id"],
                        "message_id": message["id"],
                        "thread_id": thread_id,
                        "storage_key": key,
                        "media_type": media_type,
                        "size_bytes": upload.size,
                        "filename": files.safe_filename(upload.filename, "attachment"),
                        "created_at": now,
                    }
                )
                await repo.insert_attachments(session, attachments)
            await _posted(
                session, thread, message["id"], author, [p["user_id"] for p in participants]
            )
    except BaseException:
        # The message is not there, so neither may its file be.
        if key is not None:
            await store.delete(key)
        raise
    return _messages_out(learner_id, [message], attachments)[0]


async def mark_read(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    up_to: int | None,
    *,
    learner_allowed: bool,
) -> ReadOut:
    """Move the caller's read receipt to ``up_to`` (default: the latest message); never back."""
    thread, _ = await _writable(
        session, principal, learner_id, thread_id, learner_allowed=learner_allowed
    )
    uid = _user_id(principal)
    seq = min(up_to or thread["last_seq"], thread["last_seq"])
    await repo.mark_read(session, thread_id, uid, seq, utcnow())
    participants = await repo.participants_of(session, thread["district_id"], [thread_id])
    mine = next(p for p in participants if p["user_id"] == uid)
    return ReadOut(
        thread_id=thread_id,
        user_id=uid,
        read_seq=mine["read_seq"],
        read_at=mine["read_at"],
        unread=rules.unread(thread["last_seq"], mine["read_seq"]),
    )


async def download(
    session: AsyncSession,
    store: FileStore,
    principal: Principal,
    learner_id: uuid.UUID,
    thread_id: uuid.UUID,
    attachment_id: uuid.UUID,
    *,
    learner_allowed: bool,
) -> Download:
    await require_access(session, principal, "read", "learner", learner_id)
    thread, _, _ = await _visible(
        session, principal, learner_id, thread_id, learner_allowed=learner_allowed
    )
    row = await repo.get_attachment(session, thread["district_id"], thread_id, attachment_id)
    if row is None:
        raise NotFound("This thread has no such attachment.", slug="attachment-not-found")
    chunks = store.get(row["storage_key"])
    try:
        first = await anext(chunks)
    except (FileNotFoundError, StopAsyncIteration) as exc:
        raise NotFound("This attachment's file is missing.", slug="attachment-not-found") from exc

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return Download(row["media_type"], row["size_bytes"], row["filename"], rest())
