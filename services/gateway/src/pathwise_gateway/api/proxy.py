"""The catch-all ``/v1/{path}`` route: every public operation a service publishes.

Included after every other router (see ``app.py``), so the gateway's own ``/v1`` routes win.
"""

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request, Response

from pathwise_gateway.security import CallerPrincipal
from pathwise_gateway.service.proxy import CallRequest, Gateway

__all__ = ["router"]

router = APIRouter()


@router.api_route(
    "/v1/{path:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def forward_public_call(request: Request, principal: CallerPrincipal) -> Response:
    gateway: Gateway = request.app.state.gateway
    call = CallRequest(
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=await request.body(),
        request_id=correlation_id.get() or "",
        limit=request.query_params.get("limit"),
    )
    answer = await gateway.call(principal, call)
    return Response(content=answer.body, status_code=answer.status, headers=answer.headers)
