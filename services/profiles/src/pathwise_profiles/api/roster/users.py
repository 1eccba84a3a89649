"""``/v1/users``: people of the district with their roles and schools."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from pathwise_profiles.api.deps import GradeParam, Listing
from pathwise_profiles.api.roster import READ, WRITE
from pathwise_profiles.schemas.roster import UserCreate, UserOut, UserRole, UserUpdate
from pathwise_profiles.service.roster import users as svc
from pathwise_shared.access import ADMINS, ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import Page
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["roster"])


def _with(rule: dict[str, Any], *statuses: int) -> dict[str, Any]:
    rule["responses"] = {**rule["responses"], **problem_responses(*statuses)}
    return rule


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def create_user(body: UserCreate, principal: CurrentPrincipal, session: DbSession) -> UserOut:
    """Create a user; a student gets an empty learner profile at once (learner_id = user id)."""
    return await svc.create_user(session, principal, body)


@router.get("/users", **access(roles=ADMINS, scopes=READ, service_checks=["class_id", "school_id"]))
async def list_users(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    role: UserRole | None = None,
    school_id: uuid.UUID | None = None,
    class_id: uuid.UUID | None = None,
    grade: GradeParam = None,
    username: Annotated[str | None, Query(max_length=255)] = None,
) -> Page[UserOut]:
    return await svc.list_users(
        session,
        principal,
        params,
        role=role,
        school_id=school_id,
        class_id=class_id,
        grade=grade,
        username=username,
    )


@router.get("/users/{user_id}", **access(roles=ALL_USERS, scopes=READ))
async def get_user(user_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession) -> UserOut:
    """Staff read any user of the district; students and guardians only themselves."""
    return await svc.get_user(session, principal, user_id)


@router.patch("/users/{user_id}", **_with(access(roles=ADMINS, scopes=WRITE, action="write"), 409))
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, principal: CurrentPrincipal, session: DbSession
) -> UserOut:
    return await svc.update_user(session, principal, user_id, body)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **_with(access(roles=ADMINS, scopes=WRITE, action="write"), 409),
)
async def delete_user(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Mark the user ``tobedeleted`` and end their enrollments and guardian links. A learner
    under a legal hold is refused (409 ``legal-hold-active``) and nothing changes."""
    await svc.update_user(session, principal, user_id, UserUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
