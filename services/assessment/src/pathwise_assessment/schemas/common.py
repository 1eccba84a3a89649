"""Types several resources share: skill codes and the owner of content."""

import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

__all__ = [
    "OwnerOut",
    "SkillCode",
    "SkillCodes",
]

SkillCode = Annotated[
    str,
    StringConstraints(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9-]+)+$"),
]
SkillCodes = Annotated[list[SkillCode], Field(min_length=1, max_length=10)]


class OwnerOut(BaseModel):
    """Who answers for the content: only they, admins of its school and district admins change it."""

    id: str | None = Field(description="The author's user id (or client id); null on old content")
    school_id: uuid.UUID | None = Field(description="The author's school; null = district-wide")
