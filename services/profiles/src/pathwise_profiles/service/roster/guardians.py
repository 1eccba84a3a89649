"""Guardian links (guardian to student): a link changes what the guardian may see, so every
change is a ``learner.updated`` event."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.models import guardian_links, users
from pathwise_profiles.repository import lookups
from pathwise_profiles.repository import roster as repo
from pathwise_profiles.schemas.roster import GuardianLinkCreate, GuardianLinkOut
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.roster.common import (
    ListParams,
    get_or_404,
    insert_or_409,
    page,
    require_refs,
    require_school_admin_of,
    stamp,
    update_recorded,
)
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page
from pathwise_shared.problems import Conflict, UnprocessableContent

__all__ = ["add_guardian_link", "delete_guardian_link", "list_guardian_links"]


async def add_guardian_link(
    session: AsyncSession, principal: Principal, body: GuardianLinkCreate
) -> GuardianLinkOut:
    district_id = principal.require_district()
    await require_refs(
        session, principal, users, [body.guardian_id, body.student_id], "guardian_id/student_id"
    )
    roles, schools_of = await lookups.roles_and_schools(
        session, [body.guardian_id, body.student_id]
    )
    if "guardian" not in roles[body.guardian_id]:
        raise UnprocessableContent(
            "guardian_id: this user is not a guardian.", slug="role-mismatch"
        )
    if "student" not in roles[body.student_id]:
        raise UnprocessableContent("student_id: this user is not a student.", slug="role-mismatch")
    await require_school_admin_of(
        session, principal, schools_of[body.student_id] or [uuid.UUID(int=0)]
    )
    if await repo.guardian_link_exists(session, body.guardian_id, body.student_id):
        raise Conflict("This guardian is already linked to the student.", slug="link-exists")
    values = {**stamp(), "district_id": district_id, **body.model_dump()}
    await insert_or_409(session, guardian_links, values, "guardian link")
    await emit(
        session,
        "learner.updated",
        district_id,
        f"learner/{body.student_id}",
        {"learner_id": str(body.student_id), "fields": ["guardians"]},
    )
    return GuardianLinkOut.model_validate(values)


async def list_guardian_links(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    student_id: uuid.UUID | None,
    guardian_id: uuid.UUID | None,
) -> Page[GuardianLinkOut]:
    extra = repo.guardian_link_filters(student_id=student_id, guardian_id=guardian_id)
    return await page(session, guardian_links, principal, params, extra, GuardianLinkOut)


async def delete_guardian_link(
    session: AsyncSession, principal: Principal, link_id: uuid.UUID
) -> None:
    row = await get_or_404(session, guardian_links, principal, link_id, "guardian link")
    await update_recorded(
        session, guardian_links, link_id, row["district_id"], {"status": "tobedeleted"}
    )
    await emit(
        session,
        "learner.updated",
        row["district_id"],
        f"learner/{row['student_id']}",
        {"learner_id": str(row["student_id"]), "fields": ["guardians"]},
    )
