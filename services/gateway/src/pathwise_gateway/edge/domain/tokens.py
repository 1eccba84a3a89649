"""The gateway's own access tokens: short-lived JWTs, HS256 pinned, signed with the gateway key.

They carry the resolved principal (district, roles, scopes), so a request needs no lookup to know
who is calling; the short lifetime bounds how long a changed role goes unnoticed.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt

from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = ["ALGORITHM", "IssuedToken", "TokenError", "issue_access_token", "verify_access_token"]

ALGORITHM = "HS256"


class TokenError(Exception):
    """A bearer token that must not be accepted; the message is safe to show the caller."""


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str


def issue_access_token(
    principal: Principal, *, key: str, issuer: str, audience: str, ttl_seconds: int
) -> IssuedToken:
    now = utcnow()
    claims = {
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl_seconds),
        "jti": str(new_id()),
        "sub": principal.subject,
        "knd": principal.kind,
        "dst": str(principal.district_id) if principal.district_id else None,
        "rol": sorted(principal.roles),
        "scp": sorted(principal.scopes),
        "uid": str(principal.user_id) if principal.user_id else None,
    }
    token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"typ": "at+jwt"})
    return IssuedToken(token, ttl_seconds, " ".join(sorted(principal.scopes)))


def verify_access_token(token: str, *, key: str, issuer: str, audience: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("The access token has expired.") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("The access token is invalid.") from exc
    try:
        # Expiry again on our clock (pathwise_shared.timeutil): the system clock in production,
        # so the same answer as PyJWT's; a test's advanced clock, so tests need not sleep.
        if float(claims["exp"]) <= utcnow().timestamp():
            raise TokenError("The access token has expired.")
        kind = claims.get("knd", "user")
        if kind not in ("user", "client"):
            raise ValueError(kind)
        return Principal(
            subject=str(claims["sub"]),
            kind=kind,
            district_id=uuid.UUID(claims["dst"]),
            roles=frozenset(claims.get("rol") or ()),
            scopes=frozenset(claims.get("scp") or ()),
            user_id=uuid.UUID(claims["uid"]) if claims.get("uid") else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenError("The access token is invalid.") from exc
