"""The activity catalogue: create, bulk import, update, delete; skill codes must be known."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.beyond import check_dates
from pathwise_pathways.models import Activity
from pathwise_pathways.repository import activities as repo
from pathwise_pathways.service.frameworks import resolve_codes
from pathwise_pathways.service.graph_cache import GraphCache
from pathwise_pathways.service.ownership import new_owner, owner_of, require_change_right
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.problems import NotFound, UnprocessableContent

__all__ = [
    "create_activities",
    "delete_activity",
    "list_activities",
    "require_activity",
    "update_activity",
]


async def _check_codes(
    session: AsyncSession, cache: GraphCache, district_id: uuid.UUID, codes: Sequence[str]
) -> None:
    _, unknown = await resolve_codes(session, cache, district_id, codes)
    if unknown:
        raise UnprocessableContent(
            "Unknown skill codes: " + ", ".join(unknown[:20]),
            slug="unknown-skill-codes",
            codes=unknown[:100],
        )


def _flatten(spec: dict[str, Any]) -> dict[str, Any]:
    """The body's ``supervision`` object as the row's columns (None clears them)."""
    out = dict(spec)
    if "supervision" in out:
        contact = out.pop("supervision") or {}
        out["supervisor_name"] = contact.get("name")
        out["supervisor_phone"] = contact.get("phone")
        out["supervisor_email"] = contact.get("email")
    return out


async def create_activities(
    session: AsyncSession,
    cache: GraphCache,
    upstream: Upstream,
    principal: Principal,
    specs: Sequence[dict[str, Any]],
) -> list[Activity]:
    """All or none: every activity is checked before the first is written. The caller owns them."""
    district_id = principal.require_district()
    await _check_codes(session, cache, district_id, [c for s in specs for c in s["skill_codes"]])
    for spec in specs:
        check_dates(spec.get("starts_on"), spec.get("ends_on"))
    owner = await new_owner(upstream, principal)
    created = []
    for spec in specs:
        activity = Activity(
            district_id=district_id,
            owner_id=owner.id,
            owner_school_id=owner.school_id,
            **_flatten(spec),
        )
        session.add(activity)
        created.append(activity)
    await session.flush()
    for activity in created:
        await repo.set_alignment(session, activity, activity.skill_codes)
    return created


async def list_activities(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    limit: int,
    after: uuid.UUID | None,
    skill_code: str | None,
    format_: str | None,
) -> Sequence[Activity]:
    """The district's catalogue, a page (one more row than ``limit``)."""
    return await repo.list_activities(
        session, district_id, limit=limit, after=after, skill_code=skill_code, format_=format_
    )


async def require_activity(
    session: AsyncSession, district_id: uuid.UUID, activity_id: uuid.UUID
) -> Activity:
    activity = await repo.get_activity(session, district_id, activity_id)
    if activity is None:
        raise NotFound("No such activity.", slug="activity-not-found")
    return activity


async def update_activity(
    session: AsyncSession,
    cache: GraphCache,
    upstream: Upstream,
    principal: Principal,
    activity_id: uuid.UUID,
    changes: dict[str, Any],
) -> Activity:
    district_id = principal.require_district()
    activity = await require_activity(session, district_id, activity_id)
    # Ownership before the changes are checked: a non-owner learns nothing about them.
    await require_change_right(upstream, principal, owner_of(activity), "activity")
    if "skill_codes" in changes:
        await _check_codes(session, cache, district_id, changes["skill_codes"])
    check_dates(
        changes.get("starts_on", activity.starts_on), changes.get("ends_on", activity.ends_on)
    )
    for name, value in _flatten(changes).items():
        setattr(activity, name, value)
    await session.flush()
    if "skill_codes" in changes:
        await repo.set_alignment(session, activity, activity.skill_codes)
    return activity


async def delete_activity(
    session: AsyncSession, upstream: Upstream, principal: Principal, activity_id: uuid.UUID
) -> None:
    activity = await require_activity(session, principal.require_district(), activity_id)
    await require_change_right(upstream, principal, owner_of(activity), "activity")
    await session.delete(activity)
    await session.flush()
