"""The routers' dependencies as ``Annotated`` aliases, so no router reads ``request.app.state``.

``DbSession`` (the request's unit of work) and ``CurrentPrincipal`` come from ``pathwise_shared``;
what the app holds (its settings, its database for jobs that outlive the request) and the query
parameters several routers share are here.
"""

from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from pathwise_profiles.service.profiles import Policy as VisibilityPolicy
from pathwise_profiles.service.roster.common import ListParams
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.inputs import Timestamp
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam

__all__ = ["GradeParam", "Listing", "Policy", "Settings"]


# The dependencies are ``async def`` though they never wait: FastAPI runs a plain ``def``
# dependency in the thread pool, a hop per dependency per request on the hottest reads.


async def _settings(request: Request) -> ProfilesSettings:
    settings: ProfilesSettings = request.app.state.settings
    return settings


Settings = Annotated[ProfilesSettings, Depends(_settings)]


async def _policy(settings: Settings) -> VisibilityPolicy:
    return VisibilityPolicy(learner_may_hide_from_teachers=settings.learner_may_hide_from_teachers)


# The district's visibility policy (docs/profiles.md, "Visibility").
Policy = Annotated[VisibilityPolicy, Depends(_policy)]


async def _list_params(
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
    status: Annotated[Literal["active", "tobedeleted"] | None, Query()] = None,
    modified_since: Annotated[
        Timestamp | None,
        Query(description="only records changed at or after (dateLastModified), RFC 3339"),
    ] = None,
) -> ListParams:
    return ListParams(limit=limit, cursor=cursor, status=status, modified_since=modified_since)


# The query parameters every roster list takes (page, OneRoster status, dateLastModified).
Listing = Annotated[ListParams, Depends(_list_params)]
GradeParam = Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$")]
