"""Dependencies shared by the routers: the graph cache and the callers of other services."""

import uuid
from typing import Annotated

from fastapi import Depends, Request

from pathwise_pathways.service.graph_cache import GraphCache
from pathwise_pathways.service.pathways.read import hidden_parts
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.app import DatabaseDep
from pathwise_shared.auth import CurrentPrincipal

__all__ = [
    "Cache",
    "ConsentPolicy",
    "DatabaseDep",
    "DistrictId",
    "HiddenParts",
    "UpstreamDep",
]


# ``async def`` though they never wait: FastAPI runs a plain ``def`` dependency in the thread
# pool, a hop per dependency on every pathway and class read.


async def _cache(request: Request) -> GraphCache:
    cache: GraphCache = request.app.state.graph_cache
    return cache


async def _upstream(request: Request) -> Upstream:
    upstream: Upstream = request.app.state.upstream
    return upstream


async def _consent_policy(request: Request) -> str:
    policy: str = request.app.state.settings.off_site_consent
    return policy


async def _district(principal: CurrentPrincipal) -> uuid.UUID:
    return principal.require_district()


Cache = Annotated[GraphCache, Depends(_cache)]
# ``PATHWAYS_OFF_SITE_CONSENT``: whether every off-site activity needs a guardian's consent.
ConsentPolicy = Annotated[str, Depends(_consent_policy)]
UpstreamDep = Annotated[Upstream, Depends(_upstream)]
DistrictId = Annotated[uuid.UUID, Depends(_district)]


async def _hidden(
    learner_id: uuid.UUID, principal: CurrentPrincipal, upstream: UpstreamDep
) -> frozenset[str]:
    return await hidden_parts(upstream, principal, learner_id)


# The profile parts the caller may not see of the learner in the path: what is derived from them
# is withheld from the answer (domain/disclosure.py).
HiddenParts = Annotated[frozenset[str], Depends(_hidden)]
