"""Bodies of skills: added to a framework, answered by ``/v1/skills``, resolved (internal)."""

import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from pathwise_pathways.schemas.common import Code, Short
from pathwise_shared.inputs import StrictBody

__all__ = ["CrosswalkOut", "ResolveRequest", "ResolveResponse", "SkillIn", "SkillOut", "SkillsIn"]


class SkillIn(StrictBody):
    code: Code
    title: Short
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    grade: Annotated[str, StringConstraints(max_length=20)] | None = None
    parent_code: Code | None = None


class SkillsIn(StrictBody):
    skills: list[SkillIn] = Field(min_length=1, max_length=2000)


class CrosswalkOut(BaseModel):
    """An exact match of the skill: the target's code (a skill of your frameworks when it could be
    resolved, with its ``framework_id``; else its CASE identifier) and what the package gave."""

    code: str
    framework_id: uuid.UUID | None
    identifier: str | None
    uri: str | None
    document_identifier: str | None
    document_uri: str | None


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
    crosswalks: list[CrosswalkOut] | None = None


class ResolveRequest(StrictBody):
    codes: list[Code] = Field(max_length=2000)


class ResolveResponse(BaseModel):
    known: list[str]
    unknown: list[str]
