"""``/v1/clients``: a district admin creates and lists its integration clients."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pathwise_gateway.clients import service
from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.models import ApiClient
from pathwise_shared.app import DbSession
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of

__all__ = ["router"]

router = APIRouter(prefix="/v1/clients", tags=["clients"])

Scope = Annotated[str, Field(min_length=3, max_length=40)]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, max_length=20)


class ClientOut(BaseModel):
    client_id: str
    name: str
    district_id: uuid.UUID
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, client: ApiClient) -> "ClientOut":
        return cls(
            client_id=client.client_id,
            name=client.name,
            district_id=client.district_id,
            scopes=list(client.scopes),
            created_at=client.created_at,
            revoked_at=client.revoked_at,
        )


class ClientCreated(ClientOut):
    client_secret: str = Field(description="Shown once: only its hash is stored.")


@router.post(
    "",
    status_code=201,
    response_model=ClientCreated,
    summary="Create an integration client (its secret is shown once)",
    **gateway_access(roles=["district_admin"], action="write"),
)
async def create_client(
    body: ClientCreate, session: DbSession, principal: CallerPrincipal
) -> ClientCreated:
    created = await service.create_client(session, principal, name=body.name, scopes=body.scopes)
    return ClientCreated(**ClientOut.of(created.client).model_dump(), client_secret=created.secret)


@router.get(
    "",
    response_model=Page[ClientOut],
    summary="The district's integration clients",
    **gateway_access(roles=["district_admin"]),
)
async def list_clients(
    session: DbSession,
    principal: CallerPrincipal,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[ClientOut]:
    rows = await service.list_clients(
        session, principal.require_district(), after=decode_id_cursor(cursor), limit=limit
    )
    return page_of(rows, limit, lambda c: (c.id,), ClientOut.of)
