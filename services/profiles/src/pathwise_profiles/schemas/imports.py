"""Bodies of OneRoster import jobs."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field, StringConstraints

from pathwise_shared.inputs import StrictBody, StrictBool

__all__ = ["FolderImport", "ImportJobOut", "ImportUpload"]


class ImportUpload(StrictBody):
    """multipart/form-data: the zip and the options."""

    file: UploadFile = Field(description="a zip with manifest.csv and the OneRoster CSV files")
    dry_run: bool = Field(False, description="plan and report the diff; write nothing")
    strict: bool = Field(False, description="any row error fails the job before writing")
    force: bool = Field(False, description="apply even past the mass-change guard")


class FolderImport(StrictBody):
    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(
        description="a folder relative to the operator's PROFILES_IMPORT_ROOT"
    )
    dry_run: StrictBool = False
    strict: StrictBool = False
    force: StrictBool = False


class ImportJobOut(BaseModel):
    id: uuid.UUID
    district_id: uuid.UUID
    state: Literal["queued", "running", "succeeded", "failed", "refused"]
    source: str
    dry_run: bool
    strict: bool
    force: bool
    rows_done: int
    rows_total: int
    report: dict[str, Any] | None
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
