"""The principal behind a request, and the short-lived internal token that carries it.

The gateway authenticates the caller, resolves a :class:`Principal` and mints an internal token
(HS256, pinned) for each upstream call. Services accept nothing else: they verify the token and
scope every row they touch to ``principal.district_id``.
"""

import time
import uuid
from datetime import timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from pathwise_shared.problems import Forbidden, Unauthorized
from pathwise_shared.timeutil import utcnow

__all__ = [
    "ANONYMOUS",
    "INTERNAL_AUDIENCE",
    "INTERNAL_ISSUER",
    "CurrentPrincipal",
    "Principal",
    "PrincipalKind",
    "Role",
    "get_principal",
    "issue_internal_token",
    "verify_internal_token",
]

INTERNAL_ISSUER = "pathwise-gateway"
INTERNAL_AUDIENCE = "pathwise-internal"
_ALGORITHM = "HS256"

Role = Literal["student", "teacher", "guardian", "school_admin", "district_admin"]
# ``anonymous``: a caller without a token, forwarded by the gateway to operations declared
# ``access(anonymous=True)`` only; no district, no roles, no scopes.
PrincipalKind = Literal["user", "client", "system", "anonymous"]


class Principal(BaseModel):
    """Who is calling: a user of a district, an integration client, or the system itself."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="User id, client id, or the name of a system job")
    kind: PrincipalKind = "user"
    district_id: uuid.UUID | None = Field(
        None, description="The tenant; None only for the system principal"
    )
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    user_id: uuid.UUID | None = None

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def has_scope(self, *scopes: str) -> bool:
        return bool(self.scopes.intersection(scopes))

    def require_district(self) -> uuid.UUID:
        if self.district_id is None:
            raise Forbidden("This operation needs a caller that belongs to a district.")
        return self.district_id


ANONYMOUS = Principal(subject="anonymous", kind="anonymous")


def issue_internal_token(principal: Principal, secret: str, ttl_seconds: int = 60) -> str:
    now = utcnow()
    claims = {
        "iss": INTERNAL_ISSUER,
        "aud": INTERNAL_AUDIENCE,
        "iat": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "sub": principal.subject,
        "knd": principal.kind,
        "dst": str(principal.district_id) if principal.district_id else None,
        "rol": sorted(principal.roles),
        "scp": sorted(principal.scopes),
        "uid": str(principal.user_id) if principal.user_id else None,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


# Tokens already verified, with their expiry: the gateway reuses a caller's internal token for
# half its life, so a service sees the same few strings over and over, and checking the signature
# and claims again was about a twentieth of a profile read's CPU. Keyed by the secret too, so a
# rotated secret verifies afresh; bounded, and cleared whole when full (a cache, not a store).
_VERIFIED: dict[tuple[str, str], tuple[float, Principal]] = {}
_VERIFIED_MAX = 10_000


def verify_internal_token(token: str, secret: str) -> Principal:
    key = (token, secret)
    hit = _VERIFIED.get(key)
    if hit is not None:
        if time.time() < hit[0]:
            return hit[1]
        del _VERIFIED[key]
    principal, expires = _verify(token, secret)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (expires, principal)
    return principal


def _verify(token: str, secret: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=INTERNAL_AUDIENCE,
            issuer=INTERNAL_ISSUER,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        principal = Principal(
            subject=claims["sub"],
            kind=claims.get("knd", "user"),
            district_id=uuid.UUID(claims["dst"]) if claims.get("dst") else None,
            roles=frozenset(claims.get("rol") or ()),
            scopes=frozenset(claims.get("scp") or ()),
            user_id=uuid.UUID(claims["uid"]) if claims.get("uid") else None,
        )
        return principal, float(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("The internal token is missing, expired or invalid.") from exc


async def get_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified principal of an internal call.

    ``async`` although it never awaits: FastAPI runs a plain ``def`` dependency in a worker
    thread, a thread hop on every request of every service for a few microseconds of work."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("This service only accepts calls with an internal bearer token.")
    secret: str = request.app.state.settings.internal_token_secret.get_secret_value()
    return verify_internal_token(token.strip(), secret)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
