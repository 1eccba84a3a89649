"""Bodies of ``/v1/frameworks``: create, CASE import, edges, the framework as answered."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from pathwise_pathways.schemas.common import Code, OwnerOut, Short
from pathwise_shared.inputs import StrictBody

__all__ = ["CaseImport", "EdgeIn", "EdgesIn", "FrameworkCreate", "FrameworkOut"]


class FrameworkCreate(StrictBody):
    key: Code
    title: Short
    subject: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "math"


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


class CaseImport(StrictBody):
    key: Code | None = None
    CFDocument: dict[str, Any]
    CFItems: list[dict[str, Any]] = Field(max_length=20_000)
    CFAssociations: list[dict[str, Any]] = Field(default_factory=list, max_length=100_000)
