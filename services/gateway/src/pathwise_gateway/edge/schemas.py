"""Bodies of the edge's own routes: the OAuth2 token answer and ``/v1/auth/me``."""

import uuid
from typing import Literal

from pydantic import BaseModel

__all__ = ["Me", "TokenResponse"]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int
    scope: str = ""


class Me(BaseModel):
    subject: str
    kind: str
    district_id: uuid.UUID | None
    user_id: uuid.UUID | None
    roles: list[str]
    scopes: list[str]
