"""Reading a token request (RFC 6749) and the error an OAuth client expects back (§5.2).

The form is read here rather than by the framework's validation: a missing or unknown
``grant_type`` must be a 400 ``unsupported_grant_type`` / ``invalid_request`` an OAuth library
understands, not a 422 validation problem. Pure: the form fields and the ``Authorization``
header come in, a :class:`TokenRequest` or a :class:`TokenRequestError` goes out.
"""

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from pathwise_shared.problem_types import PROBLEM_TYPE_BASE, lookup

__all__ = [
    "GRANT_TYPES",
    "OAUTH_ERRORS",
    "TokenRequest",
    "TokenRequestError",
    "oauth_error_body",
    "parse_token_request",
]

GRANT_TYPES = ("client_credentials", "password")
# RFC 6749 §5.2 error codes and their status; invalid_client is a 401 (§5.2: the client could
# not be authenticated), the others a 400.
OAUTH_ERRORS: Mapping[str, int] = {
    "invalid_request": 400,
    "invalid_client": 401,
    "invalid_grant": 400,
    "unsupported_grant_type": 400,
    "invalid_scope": 400,
}
# The longest value each parameter may have (longer is an invalid_request, not a 422).
MAX_LENGTH: Mapping[str, int] = {
    "grant_type": 64,
    "client_id": 64,
    "client_secret": 200,
    "scope": 500,
    "username": 200,
    "password": 200,
    "district_id": 36,
}


class TokenRequestError(Exception):
    """An OAuth2 error (RFC 6749 §5.2): ``error`` code, HTTP status and a safe description."""

    def __init__(self, error: str, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.error = error
        self.detail = detail
        self.status = status or OAUTH_ERRORS[error]


@dataclass(frozen=True)
class TokenRequest:
    grant_type: str
    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
    username: str | None = None
    district_id: uuid.UUID | None = None
    # the client authenticated with HTTP Basic (RFC 6749 §2.3.1) rather than body parameters
    basic_auth: bool = False


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic`` client credentials (each form-urlencoded, §2.3.1); None when
    the header is absent or another scheme (a bearer token here authenticates nothing)."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise TokenRequestError(
            "invalid_client", "The Basic credentials are not base64 of client_id:client_secret."
        ) from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise TokenRequestError(
            "invalid_client", "The Basic credentials are not base64 of client_id:client_secret."
        )
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def parse_token_request(
    fields: Mapping[str, Sequence[str]], authorization: str | None
) -> TokenRequest:
    """The request's parameters, checked as §3.2 and §4 ask: unknown parameters are ignored,
    a parameter sent twice or too long is ``invalid_request``, a grant we do not serve is
    ``unsupported_grant_type``, and a client authenticates one way only."""
    for name, limit in MAX_LENGTH.items():
        values = fields.get(name, ())
        if len(values) > 1:
            raise TokenRequestError("invalid_request", f"{name} is sent more than once.")
        if values and len(values[0]) > limit:
            raise TokenRequestError("invalid_request", f"{name} is longer than {limit} characters.")

    def one(name: str) -> str | None:
        values = fields.get(name, ())
        return values[0] if values and values[0] != "" else None

    grant_type = one("grant_type")
    if grant_type is None:
        raise TokenRequestError(
            "invalid_request", f"grant_type is required ({' or '.join(GRANT_TYPES)})."
        )
    if grant_type not in GRANT_TYPES:
        raise TokenRequestError(
            "unsupported_grant_type",
            f"grant_type {grant_type!r} is not served here; use {' or '.join(GRANT_TYPES)}.",
        )
    district_id: uuid.UUID | None = None
    raw_district = one("district_id")
    if raw_district is not None:
        try:
            district_id = uuid.UUID(raw_district)
        except ValueError as exc:
            raise TokenRequestError("invalid_request", "district_id is not a UUID.") from exc
    client_id, client_secret = one("client_id"), one("client_secret")
    basic = _basic_credentials(authorization) if grant_type == "client_credentials" else None
    if basic is not None:
        if client_secret is not None or (client_id is not None and client_id != basic[0]):
            raise TokenRequestError(
                "invalid_request",
                "The client authenticates one way only: HTTP Basic or client_id and "
                "client_secret in the body, not both.",
            )
        client_id, client_secret = basic
    return TokenRequest(
        grant_type=grant_type,
        client_id=client_id,
        client_secret=client_secret,
        scope=one("scope"),
        username=one("username"),
        district_id=district_id,
        basic_auth=basic is not None,
    )


def oauth_error_body(error: TokenRequestError, request_id: str | None) -> dict[str, Any]:
    """RFC 6749 §5.2's members (``error``, ``error_description``) with the problem members
    (RFC 9457: ``type``, ``title``, ``status``, ``detail``) of every other Pathwise error, so
    both OAuth libraries and our own clients read it."""
    slug = error.error.replace("_", "-")
    registered = lookup(slug)
    body: dict[str, Any] = {
        "error": error.error,
        "error_description": error.detail,
        "type": PROBLEM_TYPE_BASE + slug,
        "title": registered.title if registered else error.error,
        "status": error.status,
        "detail": error.detail,
    }
    if request_id:
        body["request_id"] = request_id
    return body
