"""``GET /v1/changes``: the district's change feed of roster records and learner profiles, for
SIS and data-warehouse sync (docs/profiles.md, "Change feed")."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from pathwise_profiles.api.roster import READ
from pathwise_profiles.schemas.changes import ChangePage
from pathwise_profiles.service import change_log as svc
from pathwise_shared.access import access
from pathwise_shared.answer_learners import LEARNERS_HEADER, header_lines
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import MAX_PAGE_SIZE
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])

# The whole district's roster: district admins and integration clients that read the roster.
# School admins are refused (the feed is not cut per school), and so are teachers, students and
# guardians (they have their own reads).
_ACCESS = access(roles=("district_admin",), scopes=READ)
_ACCESS["responses"] = {**_ACCESS["responses"], **problem_responses(400)}
# The page size of every /v1 list (the gateway refuses more on /v1 before forwarding).
MAX_FEED_PAGE = MAX_PAGE_SIZE


@router.get("/changes", **_ACCESS)
async def read_changes(
    response: Response,
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` (or an entry's `cursor`) to resume"),
    ] = None,
    start: Annotated[
        Literal["beginning", "now"] | None,
        Query(
            description="without a cursor: `beginning` (the default) reads every change kept; "
            "`now` answers no entries and the cursor of the feed's present end"
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_FEED_PAGE, description=f"entries per page (at most {MAX_FEED_PAGE})"),
    ] = 100,
) -> ChangePage:
    """The district's changes in one consistent order, deletes as tombstones; resume with
    `next_cursor`. An entry with a lower `seq` never appears after one with a higher `seq` was
    served, so a reader that keeps its cursor misses nothing."""
    page = await svc.read_feed(session, principal, cursor=cursor, start=start, limit=limit)
    # The students the page shows, for the gateway's audit (never passed on to the caller).
    for line in header_lines(svc.learners_shown(page)):
        response.headers.append(LEARNERS_HEADER, line)
    return page
