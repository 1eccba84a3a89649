"""Types shared by the bodies of several resources: skill codes, short titles, the owner."""

import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

__all__ = ["Code", "OwnerOut", "Short"]

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")
]


Short = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class OwnerOut(BaseModel):
    """Who answers for the content: only they, admins of its school and district admins change it."""

    id: str | None = Field(description="The author's user id (or client id); null = none recorded")
    school_id: uuid.UUID | None = Field(description="The author's school; null = district-wide")
