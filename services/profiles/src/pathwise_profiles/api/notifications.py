"""``/v1/me/notifications…`` and ``/v1/me/notification-preferences``: the caller's own feed and
choices (docs/profiles.md, "Notifications"). Every signed-in user has them; integration clients
have none. The user is the token's: no path names anyone, so no one reads another's feed."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pathwise_profiles.schemas.notifications import (
    MarkAllOut,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
)
from pathwise_profiles.service import notifications as svc
from pathwise_shared.access import ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/me", tags=["notifications"])

# Every signed-in user; not integration clients (no scope reads a person's feed).
USERS = ALL_USERS


def _with(rule: dict[str, Any], *statuses: int) -> dict[str, Any]:
    rule["responses"] = {**rule["responses"], **problem_responses(*statuses)}
    return rule


@router.get("/notifications", **_with(access(roles=USERS), 400))
async def list_notifications(
    principal: CurrentPrincipal,
    session: DbSession,
    unread: Annotated[bool, Query(description="only the unread ones")] = False,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> NotificationPage:
    """Your notifications, newest first, with how many are unread."""
    return await svc.feed(session, principal, cursor=cursor, limit=limit, unread=unread)


@router.post("/notifications/read-all", **access(roles=USERS, action="write"))
async def read_all_notifications(principal: CurrentPrincipal, session: DbSession) -> MarkAllOut:
    """Mark all your notifications read."""
    return await svc.mark_all_read(session, principal)


@router.post("/notifications/{notification_id}/read", **access(roles=USERS, action="write"))
async def read_notification(
    notification_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> NotificationOut:
    """Mark one of your notifications read (again: it keeps the first time). Anyone else's is
    404 ``notification-not-found``."""
    return await svc.mark_read(session, principal, notification_id)


@router.get("/notification-preferences", **access(roles=USERS))
async def get_notification_preferences(
    principal: CurrentPrincipal, session: DbSession
) -> PreferencesOut:
    """Your choices per kind and channel, and your quiet hours (defaults until you set them)."""
    return await svc.get_preferences(session, principal)


@router.put("/notification-preferences", **access(roles=USERS, action="write"))
async def put_notification_preferences(
    body: PreferencesIn, principal: CurrentPrincipal, session: DbSession
) -> PreferencesOut:
    """Replace your choices. Kinds and channels not named take the defaults (in_app on, email
    and sms off); quiet hours need an IANA time zone (422
    ``notification-preferences-invalid`` otherwise)."""
    return await svc.put_preferences(session, principal, body)
