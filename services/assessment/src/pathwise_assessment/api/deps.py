"""Dependencies shared by the routers: the one place that reads ``app.state`` (routers take these
Annotated aliases; the session is ``pathwise_shared.app.DbSession``)."""

from typing import Annotated

from fastapi import Depends, Header, Request

from pathwise_assessment.service.upstreams import Upstreams
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.idempotency import IdempotentRequest, idempotent_request

__all__ = ["IdempotencyKey", "UpstreamsDep"]


async def _upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


UpstreamsDep = Annotated[Upstreams, Depends(_upstreams)]


async def _idempotency(
    request: Request,
    principal: CurrentPrincipal,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Repeat a create safely: the same key and request return the first "
            "result (200); the same key with another request is a 422",
        ),
    ] = None,
) -> IdempotentRequest | None:
    """The caller-scoped key and the request's fingerprint (the raw body: it is what the
    gateway fingerprints too, and FastAPI caches it for the body parameter)."""
    if key is None:
        return None
    return idempotent_request(
        principal,
        key,
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        body=await request.body(),
    )


IdempotencyKey = Annotated[IdempotentRequest | None, Depends(_idempotency)]
