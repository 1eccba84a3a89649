"""``/v1/clients``: a district admin creates and lists its integration clients."""

from fastapi import APIRouter

from pathwise_gateway.clients import service
from pathwise_gateway.clients.schemas import ClientCreate, ClientCreated, ClientOut
from pathwise_gateway.edge.api.access import gateway_access
from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_shared.app import DbSession
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of

__all__ = ["router"]

router = APIRouter(prefix="/v1/clients", tags=["clients"])


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
