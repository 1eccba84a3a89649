"""``POST /v1/auth/token`` (OAuth2) and ``GET /v1/auth/me``."""

from typing import Any

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import (
    AuthenticatorDep,
    CallerPrincipal,
    ClientAuthenticatorDep,
    RateLimiterDep,
    SettingsDep,
)
from pathwise_gateway.edge.domain.clients import CLIENT_SCOPES
from pathwise_gateway.edge.domain.token_request import (
    GRANT_TYPES,
    TokenRequestError,
    oauth_error_body,
    parse_token_request,
)
from pathwise_gateway.edge.schemas import Me, OAuthError, TokenResponse
from pathwise_gateway.edge.service.ratelimit import STATE_KEY, RateLimiter
from pathwise_gateway.edge.service.ratelimit import enforce as enforce_rate
from pathwise_gateway.edge.service.tokens import token_for_client, token_for_dev_user
from pathwise_shared.access import ALL_USERS
from pathwise_shared.app import DbSession
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/auth", tags=["auth"])


def _oauth_error(exc: TokenRequestError) -> JSONResponse:
    """RFC 6749 §5.2: ``application/json``, never cached; a failed client authentication is a
    401 with the scheme the client may use (HTTP Basic, §2.3.1)."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="pathwise", charset="UTF-8"'
    return JSONResponse(
        oauth_error_body(exc, correlation_id.get()),
        status_code=exc.status,
        headers=headers,
        media_type="application/json",
    )


def _limit_token_requests(request: Request, limiter: RateLimiter | None, who: str) -> None:
    """Guessing secrets costs attempts: counted per address (whatever it names) and per client
    id or username (wherever it comes from); see ``RateLimiter.hit_token_endpoint``."""
    if limiter is None:
        return
    address = request.client.host if request.client else "-"
    state = limiter.hit_token_endpoint(address, who)
    setattr(request.state, STATE_KEY, state)
    enforce_rate(state)


_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"type": "string", "enum": list(GRANT_TYPES)},
        "client_id": {"type": "string", "maxLength": 64},
        "client_secret": {"type": "string", "maxLength": 200},
        "scope": {"type": "string", "maxLength": 500},
        "username": {"type": "string", "maxLength": 200},
        "password": {"type": "string", "maxLength": 200},
        "district_id": {"type": "string", "format": "uuid"},
    },
}
# A component (``model``), not an inline schema: the 400 and the 401 share one type in a client.
_OAUTH_ERROR: dict[str, Any] = {
    "model": OAuthError,
    "description": "RFC 6749 §5.2 error (`error`, `error_description`) with the problem members",
}


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="Get an access token (client credentials; development login outside production)",
    responses={400: _OAUTH_ERROR, 401: _OAUTH_ERROR, **problem_responses(429, 503)},
    openapi_extra={
        "security": [],
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA}},
        },
    },
)
async def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    authenticator: AuthenticatorDep,
    authenticate_client: ClientAuthenticatorDep,
    limiter: RateLimiterDep,
) -> TokenResponse | JSONResponse:
    """OAuth2 token endpoint (form-encoded). ``client_credentials`` for integration clients
    (credentials in the body or HTTP Basic); ``password`` is the development login by username
    (no password check), refused in production. Errors are RFC 6749 §5.2's (docs/api.md)."""
    try:
        form = await _form_fields(request)
        token_request = parse_token_request(form, request.headers.get("authorization"))
    except TokenRequestError as exc:
        return _oauth_error(exc)
    # The identity being guessed is the one the grant checks: a client id the password grant
    # ignores must not give its username a fresh budget.
    if token_request.grant_type == "client_credentials":
        kind, name = "client", token_request.client_id
    else:
        kind, name = "user", token_request.username
    _limit_token_requests(request, limiter, f"{kind}:{name}" if name else "")
    try:
        if token_request.grant_type == "client_credentials":
            issued = await token_for_client(
                session,
                settings,
                authenticate_client,
                token_request.client_id,
                token_request.client_secret,
                token_request.scope,
            )
        else:
            issued = await token_for_dev_user(
                settings, authenticator.resolver, token_request.username, token_request.district_id
            )
    except TokenRequestError as exc:
        return _oauth_error(exc)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )


async def _form_fields(request: Request) -> dict[str, list[str]]:
    """The body's parameters, each with every value sent (a repeated one is refused)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not content_type and not await request.body():
        return {}  # no parameters at all: grant_type is missing, said below
    if content_type != "application/x-www-form-urlencoded":
        raise TokenRequestError(
            "invalid_request", "Send the parameters as application/x-www-form-urlencoded."
        )
    try:
        form = await request.form()
    except (ValueError, KeyError) as exc:
        raise TokenRequestError("invalid_request", "The form body cannot be read.") from exc
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        fields.setdefault(key, []).append(value if isinstance(value, str) else "")
    return fields


@router.get(
    "/me",
    response_model=Me,
    summary="Who the bearer token says you are",
    **gateway_access(roles=ALL_USERS, scopes=CLIENT_SCOPES),
)
async def who_am_i(principal: CallerPrincipal) -> Me:
    return Me(
        subject=principal.subject,
        kind=principal.kind,
        district_id=principal.district_id,
        user_id=principal.user_id,
        roles=sorted(principal.roles),
        scopes=sorted(principal.scopes),
    )
