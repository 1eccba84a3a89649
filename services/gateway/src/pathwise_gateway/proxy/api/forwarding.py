"""The catch-all routes: every public operation a service publishes, under ``/v1/{path}`` and
under the OneRoster base path (``/ims/oneroster/rostering/v1p2/{path}``).

Included after every other router (see ``app.py``), so the gateway's own ``/v1`` routes win; the
edge's method guard (``edge.api.methods``) answers 405 for their unserved methods first. The
gateway has no routes of its own under the OneRoster path, so that catch-all needs no guard.
"""

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Request, Response

from pathwise_gateway.edge.api.deps import CallerOrAnonymous
from pathwise_gateway.edge.api.methods import method_guard
from pathwise_gateway.edge.domain.body_limits import is_streamed
from pathwise_gateway.proxy.api.deps import GatewayDep
from pathwise_gateway.proxy.service.forward import BodyStream
from pathwise_gateway.proxy.service.gateway import CallRequest
from pathwise_shared.access import ONEROSTER_BASE

__all__ = ["ONEROSTER_PATH", "PATH", "router"]

PATH = "/v1/{path:path}"
ONEROSTER_PATH = ONEROSTER_BASE + "/{path:path}"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

router = APIRouter()


def _url_path(path: str) -> str:
    """What ``request.url.path`` gives, without building the whole URL (host, scheme, split)
    on every call: the decoded path with the characters that would end it escaped again."""
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


@router.api_route(
    PATH, methods=_METHODS, include_in_schema=False, dependencies=[Depends(method_guard(PATH))]
)
@router.api_route(ONEROSTER_PATH, methods=_METHODS, include_in_schema=False)
async def forward_public_call(
    request: Request, principal: CallerOrAnonymous, gateway: GatewayDep
) -> Response:
    scope = request.scope
    query_string: bytes = scope["query_string"]
    # An upload is passed on as it arrives (the body limit counts it on the way); any other body
    # is read whole, within the small limit. The caller is authenticated by now either way (or is
    # the anonymous principal of an operation declared anonymous: ``Gateway.call`` checks again).
    streamed = is_streamed(scope["method"], scope["path"])
    call = CallRequest(
        method=scope["method"],
        path=_url_path(scope["path"]),
        query=query_string.decode().partition("#")[0],
        # ASGI header names are lower case already.
        headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
        body=b"" if streamed else await request.body(),
        request_id=correlation_id.get() or "",
        limit=request.query_params.get("limit") if b"limit" in query_string else None,
        stream=BodyStream(request.stream()) if streamed else None,
    )
    answer = await gateway.call(principal, call)
    return Response(content=answer.body, status_code=answer.status, headers=answer.headers)
