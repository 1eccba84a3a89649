"""Bodies of messages about a learner (docs/profiles.md, "Messages")."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field, StringConstraints

from pathwise_profiles.domain.messages import MAX_BODY, MAX_PARTICIPANTS
from pathwise_shared.inputs import StrictBody

__all__ = [
    "AttachmentOut",
    "MessageCreate",
    "MessageOut",
    "ParticipantOut",
    "ReadIn",
    "ReadOut",
    "ThreadCreate",
    "ThreadOut",
    "ThreadSummary",
]

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The raw length is bounded here; the service strips and checks the meaningful one.
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY)]
Role = Literal["teacher", "guardian", "school_admin", "student"]


class ThreadCreate(StrictBody):
    """A new thread about the learner and its first message. The author takes part without
    naming themself; every participant must be related to the learner."""

    subject: Subject
    participant_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=MAX_PARTICIPANTS,
        description="user ids: the learner's teachers, guardians, school administrators (and "
        "the learner, when the district allows)",
    )
    body: Text = Field(description=f"the first message (at most {MAX_BODY} characters)")


class MessageCreate(StrictBody):
    """multipart/form-data: the message and, optionally, one file."""

    body: Text = Field(description=f"the message (at most {MAX_BODY} characters)")
    file: UploadFile | None = Field(
        None,
        description="image (PNG, JPEG, GIF, WebP), document (PDF), audio (MP3, Ogg, WAV, M4A) "
        "or video (MP4, WebM, QuickTime); its type is read from its content",
    )


class ReadIn(StrictBody):
    up_to_seq: int | None = Field(
        None, ge=1, description="the last message read (default: the thread's latest)"
    )


class AttachmentOut(BaseModel):
    id: uuid.UUID
    media_type: str
    size_bytes: int
    filename: str
    download: str = Field(description="where to get the file (always served as a download)")


class MessageOut(BaseModel):
    id: uuid.UUID
    thread_id: uuid.UUID
    seq: int = Field(description="the message's number in its thread, from 1")
    author_id: uuid.UUID
    body: str
    created_at: datetime
    attachments: list[AttachmentOut] = Field(default_factory=list)


class ParticipantOut(BaseModel):
    user_id: uuid.UUID
    role: Role
    read_seq: int = Field(description="read receipt: the last message this participant read")
    read_at: datetime | None = None


class ThreadSummary(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    subject: str
    created_by: uuid.UUID
    created_at: datetime
    last_message_at: datetime
    message_count: int
    unread: int = Field(description="messages after your read receipt (0 for a moderator)")
    participants: list[ParticipantOut]


class ThreadOut(ThreadSummary):
    viewer: Literal["participant", "moderator"] = Field(
        description="moderator: a district administrator reading, never writing"
    )
    messages: list[MessageOut]
    next_cursor: str | None = Field(
        None, description="more messages: pass as ``cursor`` to GET …/messages"
    )


class ReadOut(BaseModel):
    thread_id: uuid.UUID
    user_id: uuid.UUID
    read_seq: int
    read_at: datetime | None
    unread: int
