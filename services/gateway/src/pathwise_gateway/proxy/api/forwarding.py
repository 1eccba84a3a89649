"""The catch-all routes: every public operation a service publishes, under ``/v1/{path}`` and
under the OneRoster base path (``/ims/oneroster/rostering/v1p2/{path}``).

Included after every other router (see ``app.py``), so the gateway's own ``/v1`` routes win; the
edge's method guard (``edge.api.methods``) answers 405 for their unserved methods first. The
gateway has no routes of its own under the OneRoster path, so that catch-all needs no guard.
"""

import asyncio
import contextlib

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request, Response
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from pathwise_gateway.edge.api.deps import authenticate_request
from pathwise_gateway.edge.api.methods import method_guard
from pathwise_gateway.edge.domain.body_limits import is_streamed
from pathwise_gateway.proxy.api.deps import gateway_of
from pathwise_gateway.proxy.service.forward import BodyStream, UpstreamBody
from pathwise_gateway.proxy.service.gateway import CallRequest
from pathwise_shared.access import ONEROSTER_BASE

__all__ = ["ONEROSTER_PATH", "PATH", "router"]

PATH = "/v1/{path:path}"
ONEROSTER_PATH = ONEROSTER_BASE + "/{path:path}"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

router = APIRouter()


class UpstreamStreamingResponse(StreamingResponse):
    """A download passed on as the service sends it (``proxy/service/forward.py``): the gateway
    holds one chunk at a time.

    The caller going away is noticed at once (``http.disconnect``, whatever ASGI version the
    server speaks, not only at the next chunk): the copy stops and the upstream response is
    closed, so a caller who left does not keep a service's connection busy. The upstream
    response is released however this ends. A service failing half-way is raised once the
    headers are gone: the server cuts the connection, and the caller sees a body shorter than
    its ``Content-Length`` (or a chunked body without its end), never a complete-looking file.
    """

    def __init__(self, body: UpstreamBody, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(body, status_code=status_code, headers=headers)
        self.upstream = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        copy = asyncio.ensure_future(self._copy(send))
        left = asyncio.ensure_future(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait((copy, left), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (copy, left):
                task.cancel()
            await asyncio.gather(copy, left, return_exceptions=True)
            await asyncio.shield(self.upstream.aclose())
        if copy.done() and not copy.cancelled() and (failure := copy.exception()) is not None:
            raise failure

    async def _copy(self, send: Send) -> None:
        async def to_caller(message: Message) -> None:
            try:
                await send(message)
            except OSError as exc:  # an ASGI 2.4 server's send: the caller went away
                raise _CallerLeft from exc

        # Only the caller's side ends quietly: an upstream failure (aiohttp's are OSErrors
        # too) is raised, so the caller's copy is cut off rather than finished.
        with contextlib.suppress(_CallerLeft):
            await self.stream_response(to_caller)


class _CallerLeft(Exception):
    pass


def _url_path(path: str) -> str:
    """What ``request.url.path`` gives, without building the whole URL (host, scheme, split)
    on every call: the decoded path with the characters that would end it escaped again."""
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


_refuse_wrong_method = method_guard(PATH)


@router.api_route(PATH, methods=_METHODS, include_in_schema=False)
async def forward_public_call(request: Request) -> Response:
    await _refuse_wrong_method(request)
    return await _forward(request)


@router.api_route(ONEROSTER_PATH, methods=_METHODS, include_in_schema=False)
async def forward_oneroster_call(request: Request) -> Response:
    return await _forward(request)


async def _forward(request: Request) -> Response:
    # The caller and the gateway are found here rather than as FastAPI dependencies: this is
    # every public request's route, and resolving its three dependencies (the bearer scheme's
    # among them) per request cost more than the work they did (about a tenth of the gateway's
    # CPU on a forwarded read). The same checks run, in the same order: the method guard, then
    # the caller (which the auth-first middleware has usually verified already), then the call.
    principal = await authenticate_request(request, anonymous_allowed=True)
    gateway = gateway_of(request)
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
    if answer.stream is not None:
        return UpstreamStreamingResponse(answer.stream, answer.status, answer.headers)
    return Response(content=answer.body, status_code=answer.status, headers=answer.headers)
