"""``POST /v1/auth/token`` (OAuth2) and ``GET /v1/auth/me``."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response

from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import (
    AuthenticatorDep,
    CallerPrincipal,
    ClientAuthenticatorDep,
    RateLimiterDep,
    SettingsDep,
)
from pathwise_gateway.edge.domain.clients import CLIENT_SCOPES
from pathwise_gateway.edge.schemas import Me, TokenResponse
from pathwise_gateway.edge.service.ratelimit import STATE_KEY, RateLimiter
from pathwise_gateway.edge.service.ratelimit import enforce as enforce_rate
from pathwise_gateway.edge.service.tokens import (
    TokenRequestError,
    token_for_client,
    token_for_dev_user,
)
from pathwise_shared.access import ALL_USERS
from pathwise_shared.app import DbSession
from pathwise_shared.problems import Problem, problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/auth", tags=["auth"])


def _oauth_problem(exc: TokenRequestError) -> Problem:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="pathwise"'
    return Problem(
        exc.detail,
        status=exc.status,
        slug=exc.error.replace("_", "-"),
        headers=headers,
        error=exc.error,
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


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="Get an access token (client credentials; development login outside production)",
    responses=problem_responses(400, 401, 422, 429),
    openapi_extra={"security": []},
)
async def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    authenticator: AuthenticatorDep,
    authenticate_client: ClientAuthenticatorDep,
    limiter: RateLimiterDep,
    grant_type: Annotated[Literal["client_credentials", "password"], Form()],
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
    username: Annotated[str | None, Form(max_length=200)] = None,
    password: Annotated[str | None, Form(max_length=200)] = None,
    district_id: Annotated[uuid.UUID | None, Form()] = None,
) -> TokenResponse:
    """OAuth2 token endpoint (form-encoded). ``client_credentials`` for integration clients;
    ``password`` is the development login by username (no password check), refused in
    production."""
    # The identity being guessed is the one the grant checks: a client id the password grant
    # ignores must not give its username a fresh budget.
    kind, name = ("client", client_id) if grant_type == "client_credentials" else ("user", username)
    _limit_token_requests(request, limiter, f"{kind}:{name}" if name else "")
    try:
        if grant_type == "client_credentials":
            issued = await token_for_client(
                session, settings, authenticate_client, client_id, client_secret, scope
            )
        else:
            issued = await token_for_dev_user(
                settings, authenticator.resolver, username, district_id
            )
    except TokenRequestError as exc:
        raise _oauth_problem(exc) from exc
    response.headers["Cache-Control"] = "no-store"
    return TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )


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
