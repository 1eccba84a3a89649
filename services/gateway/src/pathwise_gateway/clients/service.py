"""Integration clients: created by a district admin (secret shown once), authenticated by the
token endpoint with OAuth2 client credentials."""

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_gateway.clients import repository as repo
from pathwise_gateway.clients.domain import (
    hash_secret,
    new_client_id,
    new_client_secret,
    verify_secret,
)
from pathwise_gateway.edge.domain.clients import CLIENT_SCOPES, ClientAuthError
from pathwise_gateway.models import ApiClient
from pathwise_shared.auth import Principal
from pathwise_shared.ids import new_id
from pathwise_shared.problems import UnprocessableContent
from pathwise_shared.timeutil import utcnow

__all__ = [
    "CLIENT_SCOPES",
    "ClientAuthError",
    "CreatedClient",
    "authenticate_client",
    "create_client",
    "grant_scopes",
    "list_clients",
]


@dataclass(frozen=True)
class CreatedClient:
    client: ApiClient
    secret: str


def grant_scopes(allowed: Iterable[str], requested: str | None) -> frozenset[str]:
    """The scopes a token gets: all the client's, or the requested subset (never more)."""
    allowed_set = frozenset(allowed)
    if not requested or not requested.strip():
        return allowed_set
    wanted = frozenset(requested.split())
    if not wanted <= allowed_set:
        raise ClientAuthError("invalid_scope", "The client may not request these scopes.")
    return wanted


async def create_client(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    scopes: Sequence[str],
    client_id: str | None = None,
    secret: str | None = None,
) -> CreatedClient:
    unknown = sorted(set(scopes) - CLIENT_SCOPES)
    if unknown:
        raise UnprocessableContent(f"Unknown scopes: {', '.join(unknown)}.", slug="unknown-scope")
    plain = secret or new_client_secret()
    client = ApiClient(
        id=new_id(),
        client_id=client_id or new_client_id(),
        district_id=principal.require_district(),
        name=name,
        secret_hash=await asyncio.to_thread(hash_secret, plain),
        scopes=sorted(set(scopes)),
        created_by=principal.subject,
        created_at=utcnow(),
        revoked_at=None,
    )
    await repo.add_client(session, client)
    return CreatedClient(client, plain)


async def authenticate_client(
    session: AsyncSession, client_id: str, secret: str, requested_scope: str | None
) -> Principal:
    client = await repo.get_by_client_id(session, client_id)
    # Argon2 is deliberately slow: off the event loop.
    ok = await asyncio.to_thread(verify_secret, client.secret_hash if client else None, secret)
    if client is None or not ok or client.revoked_at is not None:
        raise ClientAuthError("invalid_client", "Unknown client or wrong secret.")
    return Principal(
        subject=f"client:{client.client_id}",
        kind="client",
        district_id=client.district_id,
        scopes=grant_scopes(client.scopes, requested_scope),
    )


async def list_clients(
    session: AsyncSession, district_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> Sequence[ApiClient]:
    return await repo.list_clients(session, district_id, after=after, limit=limit)
