"""Dependencies shared by the routers: the graph cache and the callers of other services."""

import uuid
from typing import Annotated

from fastapi import Depends, Request

from pathwise_pathways.services.graph_cache import GraphCache
from pathwise_pathways.services.upstream import Upstream
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import decode_cursor
from pathwise_shared.problems import BadRequest

__all__ = ["Cache", "DistrictId", "UpstreamDep", "after_id"]


def _cache(request: Request) -> GraphCache:
    cache: GraphCache = request.app.state.graph_cache
    return cache


def _upstream(request: Request) -> Upstream:
    upstream: Upstream = request.app.state.upstream
    return upstream


def _district(principal: CurrentPrincipal) -> uuid.UUID:
    return principal.require_district()


Cache = Annotated[GraphCache, Depends(_cache)]
UpstreamDep = Annotated[Upstream, Depends(_upstream)]
DistrictId = Annotated[uuid.UUID, Depends(_district)]


def after_id(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        return uuid.UUID(decode_cursor(cursor)[0])
    except ValueError as exc:
        raise BadRequest("The cursor is not valid.", slug="invalid-cursor") from exc
