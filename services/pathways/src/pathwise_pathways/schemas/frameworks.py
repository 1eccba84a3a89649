"""Bodies of ``/v1/frameworks``: create, CASE and CSV imports, edges, the framework as answered."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field, StringConstraints

from pathwise_pathways.schemas.common import Code, OwnerOut, Short
from pathwise_shared.inputs import StrictBody

__all__ = [
    "CaseImport",
    "CsvRowErrorOut",
    "EdgeIn",
    "EdgesIn",
    "FrameworkCreate",
    "FrameworkCsvPlan",
    "FrameworkCsvUpload",
    "FrameworkImportOut",
    "FrameworkOut",
]

Subject = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class FrameworkCreate(StrictBody):
    key: Code
    title: Short
    subject: Subject = "math"


class FrameworkOut(BaseModel):
    id: uuid.UUID
    district_id: uuid.UUID | None
    shared: bool
    key: str
    title: str
    subject: str
    source: str
    version: int
    import_report: dict[str, Any]
    owner: OwnerOut
    created_at: datetime


class EdgeIn(StrictBody):
    source: Code = Field(description="The prerequisite (or the related/matching skill)")
    target: Code
    kind: Literal["prerequisite", "related", "exact_match"] = "prerequisite"


class EdgesIn(StrictBody):
    edges: list[EdgeIn] = Field(min_length=1, max_length=5000)


class FrameworkImportOut(FrameworkOut):
    outcome: Literal["created", "updated", "unchanged"] = Field(
        description="created (201); updated in place by a newer package of the same CASE "
        "document, or unchanged (same lastChangeDateTime), both 200"
    )
    diff: dict[str, Any] | None = Field(
        None,
        description="updated only: skills_added, skills_changed, skills_removed (codes), "
        "edges_added, edges_removed ({source, target, kind}), associations {before, after}",
    )


class CaseImport(StrictBody):
    """A CASE 1.0 or 1.1 package as its publisher serves it: ``CFDocument``, ``CFItems``,
    ``CFAssociations``, ``CFDefinitions``, ``CFRubrics``, ``extensions``, or all of it wrapped in
    ``CFPackage`` (CASE 1.1). Definitions, rubrics and extensions are accepted and counted in the
    report's ``ignored``."""

    key: Code | None = Field(None, description="the framework's key; default: the document id")
    CFDocument: dict[str, Any] | None = None
    CFItems: list[dict[str, Any]] | None = Field(None, max_length=20_000)
    CFAssociations: list[dict[str, Any]] | None = Field(None, max_length=100_000)
    CFDefinitions: dict[str, Any] | None = None
    CFRubrics: list[dict[str, Any]] | None = Field(None, max_length=10_000)
    extensions: dict[str, Any] | None = None
    CFPackage: dict[str, Any] | None = Field(None, description="CASE 1.1: the package, wrapped")


class FrameworkCsvUpload(StrictBody):
    """multipart/form-data: the CSV file and the framework it makes."""

    file: UploadFile = Field(
        description="UTF-8 CSV with a header: code, title (required), parent, prerequisites "
        "(codes separated by ';'), grade, description"
    )
    key: Code
    title: Short
    subject: Subject = "math"
    dry_run: bool = Field(False, description="check and report; write nothing")


class CsvRowErrorOut(BaseModel):
    line: int = Field(description="the line in the file; the header is line 1")
    field: str = Field(description="the column; empty when the row as a whole is wrong")
    message: str


class FrameworkCsvPlan(BaseModel):
    """What a dry run of a CSV import would create, and the errors that would stop it."""

    dry_run: Literal[True] = True
    key: str
    title: str
    report: dict[str, Any]
    row_errors: list[CsvRowErrorOut]
    error_count: int
