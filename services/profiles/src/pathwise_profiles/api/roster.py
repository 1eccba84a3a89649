"""Public roster operations (``/v1/districts``, ``/v1/schools``, … ``/v1/guardians``)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from pathwise_profiles.schemas.roster import (
    ClassCreate,
    ClassOut,
    ClassUpdate,
    CourseCreate,
    CourseOut,
    CourseUpdate,
    DistrictCreate,
    DistrictOut,
    DistrictUpdate,
    EnrollmentCreate,
    EnrollmentOut,
    EnrollmentUpdate,
    GuardianLinkCreate,
    GuardianLinkOut,
    SchoolCreate,
    SchoolOut,
    SchoolUpdate,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    UserCreate,
    UserOut,
    UserRole,
    UserUpdate,
)
from pathwise_profiles.service import roster as svc
from pathwise_shared.access import ADMINS, ALL_USERS, STAFF, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.inputs import Timestamp
from pathwise_shared.pagination import DEFAULT_PAGE_SIZE, CursorParam, LimitParam, Page

__all__ = ["Listing", "router"]

router = APIRouter(prefix="/v1", tags=["roster"])

READ = ("roster:read",)
WRITE = ("roster:write",)
GradeParam = Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$")]


def list_params(
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
    status: Annotated[Literal["active", "tobedeleted"] | None, Query()] = None,
    modified_since: Annotated[
        Timestamp | None,
        Query(description="only records changed at or after (dateLastModified), RFC 3339"),
    ] = None,
) -> svc.ListParams:
    return svc.ListParams(limit=limit, cursor=cursor, status=status, modified_since=modified_since)


Listing = Annotated[svc.ListParams, Depends(list_params)]


# districts ----------------------------------------------------------------------------------


@router.post("/districts", status_code=status.HTTP_201_CREATED, **access(action="write"))
async def create_district(body: DistrictCreate, session: DbSession) -> DistrictOut:
    """Create a tenant (system operators only)."""
    return await svc.create_district(session, body)


@router.get("/districts", **access(roles=ALL_USERS, scopes=READ))
async def list_districts(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[DistrictOut]:
    """The caller's own district (a tenant never sees another)."""
    return await svc.list_districts(session, principal, params)


@router.get("/districts/{district_id}", **access(roles=ALL_USERS, scopes=READ))
async def get_district(
    district_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> DistrictOut:
    return await svc.get_district(session, principal, district_id)


@router.patch(
    "/districts/{district_id}",
    **access(roles={"district_admin"}, scopes=WRITE, action="write"),
)
async def update_district(
    district_id: uuid.UUID, body: DistrictUpdate, principal: CurrentPrincipal, session: DbSession
) -> DistrictOut:
    """Rename the caller's district; only system operators change its status."""
    return await svc.update_district(session, principal, district_id, body)


@router.delete(
    "/districts/{district_id}", status_code=status.HTTP_204_NO_CONTENT, **access(action="write")
)
async def delete_district(
    district_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Soft delete a tenant (system operators only); its rows stay for the privacy workflows."""
    await svc.update_district(session, principal, district_id, DistrictUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# schools ------------------------------------------------------------------------------------


@router.post(
    "/schools",
    status_code=status.HTTP_201_CREATED,
    **access(roles={"district_admin"}, scopes=WRITE, action="write"),
)
async def create_school(
    body: SchoolCreate, principal: CurrentPrincipal, session: DbSession
) -> SchoolOut:
    return await svc.create_school(session, principal, body)


@router.get("/schools", **access(roles=STAFF, scopes=READ))
async def list_schools(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[SchoolOut]:
    return await svc.list_schools(session, principal, params)


@router.get("/schools/{school_id}", **access(roles=STAFF, scopes=READ, school="school_id"))
async def get_school(
    school_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> SchoolOut:
    return await svc.get_school(session, principal, school_id)


@router.patch(
    "/schools/{school_id}",
    **access(roles=ADMINS, scopes=WRITE, action="write", school="school_id"),
)
async def update_school(
    school_id: uuid.UUID, body: SchoolUpdate, principal: CurrentPrincipal, session: DbSession
) -> SchoolOut:
    return await svc.update_school(session, principal, school_id, body)


@router.delete(
    "/schools/{school_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles={"district_admin"}, scopes=WRITE, action="write", school="school_id"),
)
async def delete_school(
    school_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Soft delete (``tobedeleted``): classes and people keep their history."""
    await svc.update_school(session, principal, school_id, SchoolUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# sessions and courses -----------------------------------------------------------------------


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def create_session(
    body: SessionCreate, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    return await svc.create_session(session, principal, body)


@router.get("/sessions", **access(roles=STAFF, scopes=READ))
async def list_sessions(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[SessionOut]:
    return await svc.list_sessions(session, principal, params)


@router.get("/sessions/{session_id}", **access(roles=STAFF, scopes=READ))
async def get_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    return await svc.get_session(session, principal, session_id)


@router.patch("/sessions/{session_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_session(
    session_id: uuid.UUID, body: SessionUpdate, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    return await svc.update_session(session, principal, session_id, body)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_session(
    session_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_session(session, principal, session_id, SessionUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/courses",
    status_code=status.HTTP_201_CREATED,
    # A school admin creates courses only in a school they manage (service/roster.py).
    **access(roles=ADMINS, scopes=WRITE, action="write", service_checks=["school_id"]),
)
async def create_course(
    body: CourseCreate, principal: CurrentPrincipal, session: DbSession
) -> CourseOut:
    return await svc.create_course(session, principal, body)


@router.get("/courses", **access(roles=STAFF, scopes=READ))
async def list_courses(
    params: Listing, principal: CurrentPrincipal, session: DbSession
) -> Page[CourseOut]:
    return await svc.list_courses(session, principal, params)


@router.get("/courses/{course_id}", **access(roles=STAFF, scopes=READ))
async def get_course(
    course_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> CourseOut:
    return await svc.get_course(session, principal, course_id)


@router.patch("/courses/{course_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_course(
    course_id: uuid.UUID, body: CourseUpdate, principal: CurrentPrincipal, session: DbSession
) -> CourseOut:
    return await svc.update_course(session, principal, course_id, body)


@router.delete(
    "/courses/{course_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_course(
    course_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_course(session, principal, course_id, CourseUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# classes ------------------------------------------------------------------------------------


@router.post(
    "/classes",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write", service_checks=["school_id"]),
)
async def create_class(
    body: ClassCreate, principal: CurrentPrincipal, session: DbSession
) -> ClassOut:
    return await svc.create_class(session, principal, body)


# The class list is the district's catalogue (names, grades, schools: no learner data); the school
# filter only narrows it.
@router.get("/classes", **access(roles=STAFF, scopes=READ, service_checks=["school_id"]))
async def list_classes(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    school_id: uuid.UUID | None = None,
    grade: GradeParam = None,
) -> Page[ClassOut]:
    return await svc.list_classes(session, principal, params, school_id=school_id, grade=grade)


@router.get(
    "/classes/{class_id}", **access(roles=STAFF | {"student"}, scopes=READ, class_="class_id")
)
async def get_class(
    class_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> ClassOut:
    return await svc.get_class(session, principal, class_id)


@router.patch(
    "/classes/{class_id}", **access(roles=ADMINS, scopes=WRITE, action="write", class_="class_id")
)
async def update_class(
    class_id: uuid.UUID, body: ClassUpdate, principal: CurrentPrincipal, session: DbSession
) -> ClassOut:
    return await svc.update_class(session, principal, class_id, body)


@router.delete(
    "/classes/{class_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write", class_="class_id"),
)
async def delete_class(
    class_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Soft delete (OneRoster ``tobedeleted``): the row stays for re-imports and history."""
    await svc.update_class(session, principal, class_id, ClassUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# enrollments --------------------------------------------------------------------------------


@router.post(
    "/classes/{class_id}/enrollments",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write", class_="class_id"),
)
async def create_enrollment(
    class_id: uuid.UUID, body: EnrollmentCreate, principal: CurrentPrincipal, session: DbSession
) -> EnrollmentOut:
    return await svc.create_enrollment(session, principal, class_id, body)


@router.get(
    "/classes/{class_id}/enrollments", **access(roles=STAFF, scopes=READ, class_="class_id")
)
async def list_class_enrollments(
    class_id: uuid.UUID,
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    role: Literal["student", "teacher"] | None = None,
) -> Page[EnrollmentOut]:
    await svc.get_class(session, principal, class_id)
    return await svc.list_enrollments(
        session, principal, params, class_id=class_id, user_id=None, school_id=None, role=role
    )


# A school admin's list is restricted to the schools they manage (service/roster.py).
@router.get(
    "/enrollments",
    **access(roles=ADMINS, scopes=READ, service_checks=["class_id", "school_id"]),
)
async def list_enrollments(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    class_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    school_id: uuid.UUID | None = None,
    role: Literal["student", "teacher"] | None = None,
) -> Page[EnrollmentOut]:
    return await svc.list_enrollments(
        session,
        principal,
        params,
        class_id=class_id,
        user_id=user_id,
        school_id=school_id,
        role=role,
    )


@router.get("/enrollments/{enrollment_id}", **access(roles=ADMINS, scopes=READ))
async def get_enrollment(
    enrollment_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> EnrollmentOut:
    return await svc.get_enrollment(session, principal, enrollment_id)


@router.patch("/enrollments/{enrollment_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_enrollment(
    enrollment_id: uuid.UUID,
    body: EnrollmentUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
) -> EnrollmentOut:
    return await svc.update_enrollment(session, principal, enrollment_id, body)


@router.delete(
    "/enrollments/{enrollment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_enrollment(
    enrollment_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_enrollment(
        session, principal, enrollment_id, EnrollmentUpdate(status="tobedeleted")
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# users --------------------------------------------------------------------------------------


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


@router.patch("/users/{user_id}", **access(roles=ADMINS, scopes=WRITE, action="write"))
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, principal: CurrentPrincipal, session: DbSession
) -> UserOut:
    return await svc.update_user(session, principal, user_id, body)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_user(
    user_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.update_user(session, principal, user_id, UserUpdate(status="tobedeleted"))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# guardians ----------------------------------------------------------------------------------


@router.post(
    "/guardians",
    status_code=status.HTTP_201_CREATED,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def add_guardian_link(
    body: GuardianLinkCreate, principal: CurrentPrincipal, session: DbSession
) -> GuardianLinkOut:
    """Link a guardian to a student (relationship type: parent, guardian, relative, other)."""
    return await svc.add_guardian_link(session, principal, body)


@router.get("/guardians", **access(roles=STAFF, scopes=READ))
async def list_guardian_links(
    params: Listing,
    principal: CurrentPrincipal,
    session: DbSession,
    student_id: uuid.UUID | None = None,
    guardian_id: uuid.UUID | None = None,
) -> Page[GuardianLinkOut]:
    return await svc.list_guardian_links(
        session, principal, params, student_id=student_id, guardian_id=guardian_id
    )


@router.delete(
    "/guardians/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    **access(roles=ADMINS, scopes=WRITE, action="write"),
)
async def delete_guardian_link(
    link_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    await svc.delete_guardian_link(session, principal, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
