"""Bodies of skills: added to a framework, answered by ``/v1/skills``, resolved (internal)."""

import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from pathwise_pathways.schemas.common import Code, Short
from pathwise_shared.inputs import StrictBody

__all__ = ["ResolveRequest", "ResolveResponse", "SkillIn", "SkillOut", "SkillsIn"]


class SkillIn(StrictBody):
    code: Code
    title: Short
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    grade: Annotated[str, StringConstraints(max_length=20)] | None = None
    parent_code: Code | None = None


class SkillsIn(StrictBody):
    skills: list[SkillIn] = Field(min_length=1, max_length=2000)


class SkillOut(BaseModel):
    id: uuid.UUID
    framework_id: uuid.UUID
    code: str
    title: str
    description: str
    subject: str
    grade: str | None
    domain: str | None
    cluster: str | None
    parent_code: str | None
    prerequisites: list[str] | None = None
    dependents: list[str] | None = None
    related: list[str] | None = None
    exact_matches: list[str] | None = None


class ResolveRequest(StrictBody):
    codes: list[Code] = Field(max_length=2000)


class ResolveResponse(BaseModel):
    known: list[str]
    unknown: list[str]
