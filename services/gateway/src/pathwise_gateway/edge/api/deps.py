"""Who is calling the public API: the one place bearer tokens are checked.

``CallerPrincipal`` is the dependency every public gateway route takes (the proxy takes the same
check): the verified caller as a :class:`pathwise_shared.auth.Principal`, or 401 with
``WWW-Authenticate``. Two kinds of bearer token are accepted:

- the gateway's own access tokens (``POST /v1/auth/token``), HS256 with the gateway key;
- in production, the district identity provider's JWTs, verified against its JWKS and resolved to
  a user through profiles.

Anything else (missing, malformed, expired, wrong issuer or audience, ``alg=none``, wrong key)
is a 401.

``CallerOrAnonymous`` is the proxy's variant: a call without a token to an operation its service
declared ``access(anonymous=True)`` goes on as the anonymous principal, counted against the
caller's address; any other tokenless call is the same 401. Which operations are anonymous is
the proxy's route table, read through the ``AnonymousOperations`` port (app.py plugs it in).
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from pathwise_gateway.edge.service.authenticator import Authenticator, unauthorized
from pathwise_gateway.edge.service.ratelimit import STATE_KEY, RateLimiter
from pathwise_gateway.edge.service.ratelimit import enforce as enforce_rate
from pathwise_gateway.edge.service.tokens import ClientAuthenticator
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import ANONYMOUS, Principal

__all__ = [
    "ANONYMOUS_OPERATIONS_KEY",
    "AnonymousOperations",
    "AuthenticatorDep",
    "CallerOrAnonymous",
    "CallerPrincipal",
    "ClientAuthenticatorDep",
    "RateLimiterDep",
    "SettingsDep",
    "authenticate_request",
    "bearer_scheme",
    "get_caller",
    "get_caller_or_anonymous",
]

# (method, path) -> whether that public operation is declared anonymous.
AnonymousOperations = Callable[[str, str], bool]
ANONYMOUS_OPERATIONS_KEY = "anonymous_operations"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An access token from POST /v1/auth/token, or the district identity provider's JWT.",
)


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """FastAPI dependency: the verified caller of a public route (401 otherwise)."""
    return await _authenticate(request, credentials.credentials if credentials else "")


async def get_caller_or_anonymous(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """FastAPI dependency of the proxy: the verified caller, or the anonymous principal for a
    tokenless call to an anonymous operation (401 for any other tokenless call)."""
    token = credentials.credentials if credentials else ""
    return await _authenticate(request, token, anonymous_allowed=True)


async def authenticate_request(request: Request, *, anonymous_allowed: bool = False) -> Principal:
    """The same check as :func:`get_caller` (or, with ``anonymous_allowed``,
    :func:`get_caller_or_anonymous`), from the headers alone: the auth-first middleware runs it
    before the body is read; the dependency then finds the principal already there."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return await _authenticate(
        request, token if scheme.lower() == "bearer" else "", anonymous_allowed=anonymous_allowed
    )


def _is_anonymous_operation(request: Request) -> bool:
    lookup: AnonymousOperations | None = getattr(request.app.state, ANONYMOUS_OPERATIONS_KEY, None)
    return lookup is not None and lookup(request.method, request.url.path)


async def _authenticate(
    request: Request, token: str, *, anonymous_allowed: bool = False
) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if not token.strip():
        if anonymous_allowed and _is_anonymous_operation(request):
            limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
            if limiter is not None:
                address = request.client.host if request.client else "-"
                state = limiter.hit_anonymous(address)
                setattr(request.state, STATE_KEY, state)
                enforce_rate(state)
            request.state.principal = ANONYMOUS
            return ANONYMOUS
        raise unauthorized("A bearer token is required.", error="")
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.authenticate(token.strip())
    request.state.principal = principal
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        state = limiter.hit_principal(principal)
        setattr(request.state, STATE_KEY, state)
        enforce_rate(state)
    return principal


CallerPrincipal = Annotated[Principal, Depends(get_caller)]
CallerOrAnonymous = Annotated[Principal, Depends(get_caller_or_anonymous)]


# App-state things a router needs, as dependencies: routers never read ``request.app.state``.
# ``async``: FastAPI runs a plain ``def`` dependency in a worker thread (a hop per request).


async def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


async def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def _rate_limiter(request: Request) -> RateLimiter | None:
    # Absent when an app is built without its start-up hooks (some unit tests).
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    return limiter


async def _client_authenticator(request: Request) -> ClientAuthenticator:
    check: ClientAuthenticator = request.app.state.client_authenticator
    return check


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
AuthenticatorDep = Annotated[Authenticator, Depends(_authenticator)]
RateLimiterDep = Annotated[RateLimiter | None, Depends(_rate_limiter)]
ClientAuthenticatorDep = Annotated[ClientAuthenticator, Depends(_client_authenticator)]
