"""Users and their roles and schools; a new student gets a learner profile at once."""

import uuid
from collections.abc import Sequence

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain.profile import default_profile
from pathwise_profiles.models import learner_profiles, schools, users
from pathwise_profiles.repository import lookups
from pathwise_profiles.repository import roster as repo
from pathwise_profiles.schemas.roster import UserCreate, UserOut, UserUpdate
from pathwise_profiles.service.change_log import record, record_many
from pathwise_profiles.service.events import emit
from pathwise_profiles.service.retention import check_may_delete
from pathwise_profiles.service.roster.common import (
    ListParams,
    admin_schools,
    conditions,
    get_or_404,
    insert_or_409,
    is_district_wide,
    require_refs,
    require_school_admin_of,
    stamp,
    update_recorded,
)
from pathwise_profiles.service.user_records import reader_of, user_out
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import Page, decode_id_cursor, page_of
from pathwise_shared.problems import Forbidden, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["create_user", "get_user", "list_users", "update_user"]


async def _user_outs(
    session: AsyncSession, principal: Principal, rows: Sequence[RowMapping]
) -> list[UserOut]:
    # Roles and schools of the whole page in one query, not one per user.
    ids = [r["id"] for r in rows]
    roles, school_ids = await lookups.roles_and_schools(session, ids)
    reader = await reader_of(session, principal, ids)
    return [
        user_out({**dict(r), "roles": roles[r["id"]], "school_ids": school_ids[r["id"]]}, reader)
        for r in rows
    ]


async def create_user(session: AsyncSession, principal: Principal, body: UserCreate) -> UserOut:
    district_id = principal.require_district()
    await require_refs(session, principal, schools, body.school_ids, "school_ids")
    if "district_admin" in body.roles and not is_district_wide(principal):
        raise Forbidden("Only a district admin makes district admins.", slug="not-district-admin")
    await require_school_admin_of(session, principal, body.school_ids)
    values = {
        **stamp(),
        "district_id": district_id,
        **body.model_dump(exclude={"roles", "school_ids"}),
    }
    await insert_or_409(session, users, values, "user")
    await repo.replace_user_roles(session, values["id"], district_id, body.roles)
    await repo.replace_user_schools(session, values["id"], district_id, body.school_ids)
    if "student" in body.roles:
        await _create_learner(session, values["id"], district_id, body.grade)
    row = await get_or_404(session, users, principal, values["id"], "user")
    return (await _user_outs(session, principal, [row]))[0]


async def _create_learner(
    session: AsyncSession, learner_id: uuid.UUID, district_id: uuid.UUID, grade: str | None
) -> None:
    now = utcnow()
    await repo.insert_row(
        session,
        learner_profiles,
        {
            **default_profile(),
            "learner_id": learner_id,
            "district_id": district_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    record(session, district_id, "learner_profile", learner_id, "upsert")
    await emit(
        session,
        "learner.created",
        district_id,
        f"learner/{learner_id}",
        {"learner_id": str(learner_id), "grade": grade},
    )


async def list_users(
    session: AsyncSession,
    principal: Principal,
    params: ListParams,
    *,
    role: str | None,
    school_id: uuid.UUID | None,
    class_id: uuid.UUID | None,
    grade: str | None,
    username: str | None,
) -> Page[UserOut]:
    managed = await admin_schools(session, principal)
    school_filter: list[uuid.UUID] | None = [school_id] if school_id is not None else None
    if managed is not None:
        school_filter = [s for s in (school_filter or managed) if s in managed]
    extra = repo.user_filters(
        role=role,
        school_ids=school_filter,
        class_id=class_id,
        grade=grade,
        username=username,
        today=utcnow().date(),
    )
    rows = await repo.list_page(
        session,
        users,
        principal.require_district(),
        [*conditions(users, params), *extra],
        after=decode_id_cursor(params.cursor),
        limit=params.limit,
    )
    outs = await _user_outs(session, principal, rows[: params.limit])
    page = page_of(rows, params.limit, lambda r: [r["id"]], lambda r: r["id"])
    return Page[UserOut](items=outs, next_cursor=page.next_cursor)


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> UserOut:
    if (
        not principal.is_system
        and principal.kind == "user"
        and not principal.has_role("teacher", "school_admin", "district_admin")
        and principal.user_id != user_id
    ):
        # Students and guardians see only themselves: anyone else is as invisible as a user of
        # another district (404, never 403, so an id's existence is not revealed).
        raise NotFound("No such user.", slug="user-not-found")
    row = await get_or_404(session, users, principal, user_id, "user")
    return (await _user_outs(session, principal, [row]))[0]


async def update_user(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, body: UserUpdate
) -> UserOut:
    district_id = principal.require_district()
    before = await get_user(session, principal, user_id)
    await require_school_admin_of(session, principal, before.school_ids or [uuid.UUID(int=0)])
    if (
        body.status == "tobedeleted"
        and before.status != "tobedeleted"
        and "student" in before.roles
    ):
        # Before anything changes: a learner under a legal hold is not deleted (409
        # ``legal-hold-active``), the same check the deletion job makes (docs/privacy.md).
        await check_may_delete(session, district_id, user_id, utcnow())
    changes = body.model_dump(exclude_unset=True, exclude={"roles", "school_ids"})
    if body.school_ids is not None:
        await require_refs(session, principal, schools, body.school_ids, "school_ids")
        await require_school_admin_of(session, principal, body.school_ids)
        await repo.replace_user_schools(session, user_id, district_id, body.school_ids)
    if body.roles is not None:
        if "district_admin" in set(body.roles) ^ set(before.roles) and not is_district_wide(
            principal
        ):
            raise Forbidden(
                "Only a district admin grants district admin.", slug="not-district-admin"
            )
        await repo.replace_user_roles(session, user_id, district_id, body.roles)
        if "student" in body.roles and "student" not in before.roles:
            existing = await lookups.planning_rows(session, user_id, district_id)
            if existing is None:
                await _create_learner(session, user_id, district_id, body.grade or before.grade)
    await update_recorded(session, users, user_id, district_id, changes)
    after = await get_user(session, principal, user_id)
    if after.status == "tobedeleted" and before.status != "tobedeleted":
        await _end_relations(session, district_id, user_id, learner="student" in after.roles)
    if "student" in after.roles:
        kind = "learner.deleted" if after.status == "tobedeleted" else "learner.updated"
        if kind == "learner.updated" or before.status != "tobedeleted":
            await emit(
                session,
                kind,
                district_id,
                f"learner/{user_id}",
                {"learner_id": str(user_id), "fields": sorted(body.model_fields_set)},
            )
    return after


async def _end_relations(
    session: AsyncSession, district_id: uuid.UUID, user_id: uuid.UUID, *, learner: bool
) -> None:
    """A deleted user's enrollments and guardian links end with it, in the same transaction:
    left active, they kept the user in class rosters and kept the access they grant (a teacher
    or guardian still read a deleted learner's profile). Each ended record is on the change feed
    and each class gets its ``enrollment.changed``. The learner's profile is a delete on the
    feed too; erasing the learner's data across the services is another operation."""
    now = utcnow()
    ended = await repo.end_enrollments_of(session, user_id, now)
    record_many(session, district_id, "enrollment", [e["id"] for e in ended], "delete")
    for enrollment in ended:
        await emit(
            session,
            "enrollment.changed",
            district_id,
            f"class/{enrollment['class_id']}",
            {
                "enrollment_id": str(enrollment["id"]),
                "class_id": str(enrollment["class_id"]),
                "user_id": str(user_id),
                "role": enrollment["role"],
                "change": "removed",
            },
        )
    links = await repo.end_guardian_links_of(session, user_id, now)
    record_many(session, district_id, "guardian_link", [link["id"] for link in links], "delete")
    if learner:
        record(session, district_id, "learner_profile", user_id, "delete")
