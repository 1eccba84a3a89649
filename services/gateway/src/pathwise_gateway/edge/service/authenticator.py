"""The authenticator: turns a bearer token into a principal (our own HS256 tokens, or the
district identity provider's JWTs resolved to a user through profiles); anything else is a 401.
It lives on ``app.state`` (``open_authenticator``) and is reached through ``edge.api.deps``."""

import jwt
from fastapi import FastAPI

from pathwise_gateway.edge.domain.tokens import TokenError, verify_access_token
from pathwise_gateway.edge.service.idp import JwksVerifier
from pathwise_gateway.edge.service.principals import PrincipalResolver, UserNotFound
from pathwise_gateway.edge.service.ratelimit import RateLimiter
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCallers
from pathwise_shared.problems import Unauthorized
from pathwise_shared.timeutil import utcnow

__all__ = ["Authenticator", "open_authenticator", "unauthorized"]

_MAX_VERIFIED = 50_000


def unauthorized(detail: str, *, error: str = "invalid_token") -> Unauthorized:
    """A 401 whose ``WWW-Authenticate`` tells the client what to do (RFC 6750)."""
    challenge = f'Bearer realm="pathwise", error="{error}", error_description="{detail}"'
    if error == "":
        challenge = 'Bearer realm="pathwise"'
    return Unauthorized(
        detail,
        slug="invalid-token" if error else "unauthorized",
        headers={"WWW-Authenticate": challenge},
    )


class Authenticator:
    def __init__(
        self,
        settings: GatewaySettings,
        resolver: PrincipalResolver,
        idp: JwksVerifier | None = None,
    ) -> None:
        self._key = settings.token_signing_key.get_secret_value()
        self._issuer = settings.token_issuer
        self._audience = settings.token_audience
        self._idp = idp
        self._idp_issuer = settings.idp_issuer
        self._idp_username_claim = settings.idp_username_claim
        self._idp_district = settings.idp_district_id
        self.resolver = resolver
        # Our own tokens, once verified, until they expire: verifying one costs more than the
        # rest of the gateway's work on a call (see docs/benchmarks.md). Only valid tokens
        # are kept, so an attacker cannot fill it with garbage.
        self._verified: dict[str, tuple[float, Principal]] = {}

    def _remember(self, token: str, exp: object, principal: Principal) -> None:
        if not isinstance(exp, int | float):
            return
        if len(self._verified) >= _MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = (float(exp), principal)

    async def authenticate(self, token: str) -> Principal:
        hit = self._verified.get(token)
        if hit is not None:
            if utcnow().timestamp() < hit[0]:  # the injectable clock: tests advance it
                return hit[1]
            del self._verified[token]
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise unauthorized("The access token is malformed.") from exc
        issuer = unverified.get("iss") if isinstance(unverified, dict) else None
        try:
            if issuer == self._issuer:
                principal = verify_access_token(
                    token, key=self._key, issuer=self._issuer, audience=self._audience
                )
                self._remember(token, unverified.get("exp"), principal)
                return principal
            if self._idp is not None and issuer == self._idp_issuer:
                return await self._from_identity_provider(token)
        except TokenError as exc:
            raise unauthorized(str(exc)) from exc
        raise unauthorized("The access token was not issued by a trusted issuer.")

    async def _from_identity_provider(self, token: str) -> Principal:
        assert self._idp is not None
        claims = await self._idp.verify(token)
        username = claims.get(self._idp_username_claim)
        if not isinstance(username, str) or not username:
            raise TokenError("The token names no user.")
        try:
            return await self.resolver.by_username(username, self._idp_district)
        except UserNotFound as exc:
            raise TokenError("The token's user is not an active Pathwise user.") from exc


async def open_authenticator(app: FastAPI) -> None:
    """Start-up hook (after the upstreams): the authenticator lives on ``app.state``."""
    settings: GatewaySettings = app.state.settings
    # Wired by the proxy's upstreams (opened first): the callers share the upstreams' clients.
    callers: ServiceCallers = app.state.callers
    idp = None
    if settings.idp_enabled:
        idp = JwksVerifier(
            jwks_url=settings.idp_jwks_url,
            issuer=settings.idp_issuer,
            audience=settings.idp_audience,
            algorithms=settings.idp_algorithms,
            http=app.state.external_http,
            cache_seconds=settings.idp_jwks_cache_seconds,
            leeway_seconds=settings.idp_leeway_seconds,
        )
    resolver = PrincipalResolver(callers["profiles"], settings.principal_cache_seconds)
    app.state.authenticator = Authenticator(settings, resolver, idp)
    app.state.rate_limiter = RateLimiter(
        settings.user_rate,
        settings.client_rate,
        settings.token_rate,
        settings.rate_limit_storage,
        token_identity=settings.token_identity_rate,
    )
