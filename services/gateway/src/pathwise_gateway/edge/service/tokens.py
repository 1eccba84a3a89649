"""The token endpoint's use cases: client credentials and the development login."""

import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.edge.domain.clients import ClientAuthError
from pathwise_gateway.edge.domain.token_request import TokenRequestError
from pathwise_gateway.edge.domain.tokens import IssuedToken, issue_access_token
from pathwise_gateway.edge.service.principals import PrincipalResolver, UserNotFound
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal

__all__ = ["ClientAuthenticator", "TokenRequestError", "token_for_client", "token_for_dev_user"]


class ClientAuthenticator(Protocol):
    """Checks a client's credentials: ``clients.service.authenticate_client``, handed to the
    edge by ``app.py`` (the edge sits below the clients feature and never imports it). The
    principal of valid credentials, else :class:`ClientAuthError`."""

    async def __call__(
        self, session: AsyncSession, client_id: str, secret: str, requested_scope: str | None
    ) -> Principal: ...


def _issue(settings: GatewaySettings, principal: Principal) -> IssuedToken:
    return issue_access_token(
        principal,
        key=settings.token_signing_key.get_secret_value(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        ttl_seconds=settings.access_token_ttl_seconds,
    )


async def token_for_client(
    session: AsyncSession,
    settings: GatewaySettings,
    authenticate_client: ClientAuthenticator,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
) -> IssuedToken:
    if not client_id or not client_secret:
        raise TokenRequestError("invalid_request", "client_id and client_secret are required.")
    try:
        principal = await authenticate_client(session, client_id, client_secret, scope)
    except ClientAuthError as exc:
        raise TokenRequestError(exc.error, exc.detail) from exc
    return _issue(settings, principal)


async def token_for_dev_user(
    settings: GatewaySettings,
    resolver: PrincipalResolver,
    username: str | None,
    district_id: uuid.UUID | None,
) -> IssuedToken:
    # The development login checks no password: it exists for the demo and the tests only.
    if not settings.dev_login_enabled:
        raise TokenRequestError(
            "unsupported_grant_type",
            "The password grant (development login) is disabled here; sign in with the district identity provider.",
        )
    if not username:
        raise TokenRequestError("invalid_request", "username is required.")
    try:
        principal = await resolver.by_username(username, district_id)
    except UserNotFound as exc:
        raise TokenRequestError("invalid_grant", "No active user with that username.") from exc
    return _issue(settings, principal)
