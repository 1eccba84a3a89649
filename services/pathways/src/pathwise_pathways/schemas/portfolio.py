"""Bodies of a learner's portfolio (``/v1/learners/{learner_id}/portfolio``)."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field, StringConstraints

from pathwise_pathways.schemas.common import Code, Short
from pathwise_shared.inputs import StrictBody

__all__ = [
    "ArtifactCreate",
    "ArtifactOut",
    "ArtifactPatch",
    "FeedbackIn",
    "FeedbackOut",
]

Kind = Literal["text", "link", "image", "audio", "video", "document"]
Body = Annotated[str, StringConstraints(max_length=20_000)]


class ArtifactCreate(StrictBody):
    """multipart/form-data: the artifact and, for image, audio, video and document, its file."""

    kind: Kind
    title: Short
    body: Body | None = Field(None, description="text: the text; a file kind: a caption")
    url: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="link: an http or https URL"
    )
    skill_codes: list[Code] = Field(default_factory=list, max_length=20)
    step_id: uuid.UUID | None = Field(None, description="a step of the learner's current pathway")
    goal_id: uuid.UUID | None = Field(None, description="one of the learner's goals")
    share_with_guardians: bool = Field(
        False, description="whether the learner's guardians see it (within district policy)"
    )
    file: UploadFile | None = Field(
        None,
        description="image (PNG, JPEG, GIF, WebP), audio (MP3, Ogg, WAV, M4A), video (MP4, "
        "WebM, QuickTime) or document (PDF); its type is read from its content",
    )


class ArtifactPatch(StrictBody):
    title: Short | None = None
    skill_codes: list[Code] | None = Field(None, max_length=20)
    share_with_guardians: bool | None = None


class FeedbackIn(StrictBody):
    body: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class FeedbackOut(BaseModel):
    id: uuid.UUID
    author_id: str
    author_role: str
    body: str
    created_at: datetime


class FileOut(BaseModel):
    media_type: str = Field(description="the type read from the file's content")
    size_bytes: int
    filename: str = Field(description="the uploaded file's name, for display and download")
    download: str = Field(description="the path that serves it (as an attachment)")


class ArtifactOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    kind: str
    title: str
    body: str | None
    url: str | None
    skill_codes: list[str]
    step_id: uuid.UUID | None
    step_skill_code: str | None
    goal_id: uuid.UUID | None
    share_with_guardians: bool
    file: FileOut | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    etag: str
    feedback: list[FeedbackOut]
