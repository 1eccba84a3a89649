"""Credential bodies: issue and revoke requests, the issued credential, a verification."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from pathwise_assessment.schemas.common import SkillCode
from pathwise_shared.inputs import StrictBody

__all__ = ["CredentialIn", "CredentialOut", "RevokeIn", "VerificationOut", "VerifyIn"]


class CredentialIn(StrictBody):
    """What the credential is for: exactly one of a skill and a goal."""

    skill_code: SkillCode | None = Field(None, description="A skill the learner has mastered now")
    goal_id: uuid.UUID | None = Field(
        None,
        description="A goal of the learner's that is completed, with every target skill "
        "mastered now",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.skill_code is None) == (self.goal_id is None):
            raise ValueError("send exactly one of skill_code and goal_id")
        return self


class RevokeIn(StrictBody):
    reason: Annotated[str, Field(max_length=500)] | None = None


class CredentialOut(BaseModel):
    id: uuid.UUID
    learner_id: uuid.UUID
    skill_code: str | None = Field(None, description="The mastered skill (a skill's credential)")
    goal_id: uuid.UUID | None = Field(None, description="The completed goal (a goal's credential)")
    issued_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    jwt: str = Field(description="The credential as issued: a compact VC-JWT (EdDSA)")
    credential: dict[str, Any] = Field(
        description="The Open Badges 3.0 AchievementCredential (the JWT's payload)"
    )


class VerifyIn(StrictBody):
    # A compact JWS of a few kilobytes; the cap keeps a verification cheap to refuse.
    credential: Annotated[str, Field(min_length=1, max_length=20_000)] = Field(
        description="The compact VC-JWT to verify"
    )


class VerificationOut(BaseModel):
    verified: bool
    reason: (
        Literal[
            "malformed",
            "unknown_issuer",
            "bad_signature",
            "not_yet_valid",
            "expired",
            "status_unavailable",
            "revoked",
        ]
        | None
    ) = Field(None, description="Why it did not verify (None when it did)")
    detail: str
    credential: dict[str, Any] | None = Field(
        None, description="The payload, once its signature is known to be the issuer's"
    )
