"""``/v1/activities``: the catalogue of activities aligned to skills."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from pathwise_pathways.api.deps import Cache, DistrictId, UpstreamDep
from pathwise_pathways.models import Activity
from pathwise_pathways.schemas.activities import (
    ActivityCreate,
    ActivityOut,
    ActivityUpdate,
    BulkActivities,
    SupervisionOut,
)
from pathwise_pathways.service import activities as service
from pathwise_shared.access import ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of
from pathwise_shared.problems import UnprocessableContent

__all__ = ["router"]

router = APIRouter(tags=["activities"])


def _read() -> dict[str, Any]:
    return access(roles=ALL_USERS, scopes={"pathways:read", "pathways:write"})


def _write() -> dict[str, Any]:
    return access(roles=STAFF, scopes={"pathways:write"}, action="write")


def activity_out(activity: Activity, principal: Principal) -> ActivityOut:
    """The activity as this caller may see it: learners and guardians see who supervises an
    off-site activity, where and with which partner, but not the supervisor's phone or email
    (staff arrange the contact; a learner's family reaches the school)."""
    out = ActivityOut.model_validate(activity)
    if activity.supervisor_name:
        staff = principal.kind != "user" or principal.has_role(*STAFF)
        out.supervision = SupervisionOut(
            name=activity.supervisor_name,
            phone=activity.supervisor_phone if staff else None,
            email=activity.supervisor_email if staff else None,
        )
    return out


@router.get("/v1/activities", response_model=Page[ActivityOut], **_read())
async def list_activities(
    session: DbSession,
    district_id: DistrictId,
    principal: CurrentPrincipal,
    skill_code: Annotated[str | None, Query(max_length=100)] = None,
    format: Annotated[str | None, Query(max_length=20)] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[ActivityOut]:
    rows = await service.list_activities(
        session,
        district_id,
        limit=limit,
        after=decode_id_cursor(cursor),
        skill_code=skill_code,
        format_=format,
    )
    return page_of(rows, limit, lambda a: (a.id,), lambda a: activity_out(a, principal))


@router.post(
    "/v1/activities",
    response_model=ActivityOut,
    status_code=status.HTTP_201_CREATED,
    **_write(),
)
async def create_activity(
    body: ActivityCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    cache: Cache,
    upstream: UpstreamDep,
) -> ActivityOut:
    [created] = await service.create_activities(
        session, cache, upstream, principal, [body.model_dump()]
    )
    return activity_out(created, principal)


@router.post(
    "/v1/activities/bulk",
    response_model=list[ActivityOut],
    status_code=status.HTTP_201_CREATED,
    **_write(),
)
async def bulk_import_activities(
    body: BulkActivities,
    session: DbSession,
    principal: CurrentPrincipal,
    cache: Cache,
    upstream: UpstreamDep,
) -> list[ActivityOut]:
    """Up to 500 activities, all or none; the caller owns them."""
    created = await service.create_activities(
        session, cache, upstream, principal, [a.model_dump() for a in body.activities]
    )
    return [activity_out(a, principal) for a in created]


@router.get("/v1/activities/{activity_id}", response_model=ActivityOut, **_read())
async def get_activity(
    activity_id: uuid.UUID, session: DbSession, district_id: DistrictId, principal: CurrentPrincipal
) -> ActivityOut:
    return activity_out(
        await service.require_activity(session, district_id, activity_id), principal
    )


@router.patch("/v1/activities/{activity_id}", response_model=ActivityOut, **_write())
async def update_activity(
    activity_id: uuid.UUID,
    body: ActivityUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    cache: Cache,
    upstream: UpstreamDep,
) -> ActivityOut:
    """Change an activity: its author, an admin of its school or a district admin."""
    changes = body.model_dump(exclude_unset=True)
    required = {
        "title",
        "format",
        "difficulty",
        "minutes",
        "languages",
        "skill_codes",
        "kind",
        "requires_guardian_consent",
    }
    nulled = sorted(k for k, v in changes.items() if v is None and k in required)
    if nulled:
        raise UnprocessableContent(
            "These fields cannot be null: " + ", ".join(nulled), slug="null-field"
        )
    updated = await service.update_activity(
        session, cache, upstream, principal, activity_id, changes
    )
    return activity_out(updated, principal)


@router.delete(
    "/v1/activities/{activity_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    **_write(),
)
async def delete_activity(
    activity_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, upstream: UpstreamDep
) -> None:
    """Delete an activity: its author, an admin of its school or a district admin."""
    await service.delete_activity(session, upstream, principal, activity_id)
