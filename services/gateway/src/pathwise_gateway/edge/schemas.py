"""Bodies of the edge's own routes: the OAuth2 token answer and ``/v1/auth/me``."""

import uuid
from typing import Literal

from pydantic import BaseModel

__all__ = ["Me", "OAuthError", "TokenResponse"]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int
    scope: str = ""


class OAuthError(BaseModel):
    """The token endpoint's error body: RFC 6749 §5.2 members and RFC 9457 problem members."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
        "invalid_scope",
    ]
    error_description: str
    type: str
    title: str
    status: int
    detail: str
    request_id: str | None = None


class Me(BaseModel):
    subject: str
    kind: str
    district_id: uuid.UUID | None
    user_id: uuid.UUID | None
    roles: list[str]
    scopes: list[str]
