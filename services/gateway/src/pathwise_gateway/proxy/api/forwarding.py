"""The catch-all ``/v1/{path}`` route: every public operation a service publishes.

Included after every other router (see ``app.py``), so the gateway's own ``/v1`` routes win; the
edge's method guard (``edge.api.methods``) answers 405 for their unserved methods first.
"""

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Request, Response

from pathwise_gateway.edge.api.deps import CallerPrincipal
from pathwise_gateway.edge.api.methods import method_guard
from pathwise_gateway.proxy.api.deps import GatewayDep
from pathwise_gateway.proxy.service.gateway import CallRequest

__all__ = ["PATH", "router"]

PATH = "/v1/{path:path}"

router = APIRouter()


@router.api_route(
    PATH,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
    dependencies=[Depends(method_guard(PATH))],
)
async def forward_public_call(
    request: Request, principal: CallerPrincipal, gateway: GatewayDep
) -> Response:
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
