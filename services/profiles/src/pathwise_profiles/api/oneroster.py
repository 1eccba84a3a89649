"""The OneRoster 1.2 REST rostering read API, under the specification's base path
(``/ims/oneroster/rostering/v1p2``): orgs, schools, academic sessions, courses, classes, users
(and students, teachers), enrollments, and the nested lists apps use.

Every route is a read for district and school admins and for clients with ``roster:read``
(teachers, students and guardians: 403); the service scopes it. Routes are made by two factories
(a collection, one record) so that each is the same thin adapter: query parameters in, the
binding's JSON out, with ``X-Total-Count`` and ``Link`` on a page and, for the gateway's audit,
the learners the answer shows (``Pathwise-Learners``, never passed on to the caller).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.api.roster import READ
from pathwise_profiles.domain.oneroster_query import MAX_FILTER_LENGTH, page_links
from pathwise_profiles.service import oneroster as svc
from pathwise_shared.access import ADMINS, ONEROSTER_BASE, access
from pathwise_shared.answer_learners import LEARNERS_HEADER, header_lines
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal, Principal
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(prefix=ONEROSTER_BASE, tags=["oneroster"])

_ACCESS = access(roles=ADMINS, scopes=READ)
_ACCESS["responses"] = {**_ACCESS["responses"], **problem_responses(400)}
_PAGE_HEADERS = {
    "X-Total-Count": {"description": "How many records match in all", "schema": {"type": "integer"}},
    "Link": {"description": "first, prev, next and last pages (RFC 8288)", "schema": {"type": "string"}},
}  # fmt: skip

FilterParam = Annotated[
    str | None,
    Query(
        alias="filter",
        max_length=MAX_FILTER_LENGTH,
        description="`field<op>'value'` predicates (`=`, `!=`, `>`, `>=`, `<`, `<=`, `~` "
        "contains) joined by ` AND ` or ` OR `, e.g. `familyName='Silva' AND status='active'`",
    ),
]
SortParam = Annotated[str | None, Query(max_length=100, description="a field to sort on")]
OrderByParam = Annotated[
    str | None, Query(alias="orderBy", max_length=4, description="`asc` (default) or `desc`")
]
FieldsParam = Annotated[
    str | None, Query(max_length=1000, description="comma-separated fields to return")
]
LimitParam = Annotated[
    str | None, Query(max_length=12, description="page size: default 100, at most 1000")
]
OffsetParam = Annotated[str | None, Query(max_length=12, description="records to skip")]
SourcedId = Annotated[
    str,
    Path(alias="sourcedId", min_length=1, max_length=255, description="the record's sourcedId"),
]


async def _query(
    filter_: FilterParam = None,
    sort: SortParam = None,
    order_by: OrderByParam = None,
    fields: FieldsParam = None,
    limit: LimitParam = None,
    offset: OffsetParam = None,
) -> svc.Query:
    """The specification's query parameters of a list, as one value (every list takes them)."""
    return svc.Query(filter_, sort, order_by, fields, limit, offset)


ListQuery = Annotated[svc.Query, Depends(_query)]


def _operation_id(summary: str) -> str:
    """The specification's operation name: "Get all users" → ``getAllUsers``."""
    first, *rest = summary.split()
    return first.lower() + "".join(w[:1].upper() + w[1:] for w in rest)


Lister = Callable[[AsyncSession, Principal, svc.Query], Awaitable[svc.Answer]]
Getter = Callable[[AsyncSession, Principal, str, str | None], Awaitable[svc.Answer]]


def _respond(answer: svc.Answer, request: Request) -> JSONResponse:
    response = JSONResponse(answer.body)
    if answer.total is not None and answer.paging is not None:
        response.headers["X-Total-Count"] = str(answer.total)
        params = request.query_params.multi_items()
        response.headers["Link"] = page_links(request.url.path, params, answer.paging, answer.total)
    for line in header_lines(answer.learners):
        response.headers.append(LEARNERS_HEADER, line)
    return response


def _collection(path: str, summary: str, description: str, run: Lister) -> None:
    async def read_collection(
        request: Request, principal: CurrentPrincipal, session: DbSession, query: ListQuery
    ) -> JSONResponse:
        return _respond(await run(session, principal, query), request)

    router.add_api_route(
        path,
        read_collection,
        methods=["GET"],
        summary=summary,
        description=description,
        operation_id=_operation_id(summary),
        response_class=JSONResponse,
        **{**_ACCESS, "responses": {**_ACCESS["responses"], 200: {"headers": _PAGE_HEADERS}}},
    )


def _record(path: str, summary: str, description: str, run: Getter) -> None:
    async def read_record(
        request: Request,
        principal: CurrentPrincipal,
        session: DbSession,
        sourced_id: SourcedId,
        fields: FieldsParam = None,
    ) -> JSONResponse:
        return _respond(await run(session, principal, sourced_id, fields), request)

    router.add_api_route(
        path,
        read_record,
        methods=["GET"],
        summary=summary,
        description=description,
        operation_id=_operation_id(summary),
        response_class=JSONResponse,
        **_ACCESS,
    )


def _lister(collection: str, **options: Any) -> Lister:
    async def run(session: AsyncSession, principal: Principal, query: svc.Query) -> svc.Answer:
        return await svc.list_records(session, principal, collection, query, **options)

    return run


def _getter(collection: str, **options: Any) -> Getter:
    async def run(
        session: AsyncSession, principal: Principal, sourced_id: str, fields: str | None
    ) -> svc.Answer:
        return await svc.get_record(session, principal, collection, sourced_id, fields, **options)

    return run


def _nested(parent: str, collection: str, role: str | None = None) -> Callable[..., Any]:
    def make(path: str, summary: str, description: str) -> None:
        async def read_nested(
            request: Request,
            principal: CurrentPrincipal,
            session: DbSession,
            sourced_id: SourcedId,
            query: ListQuery,
        ) -> JSONResponse:
            answer = await svc.list_under(
                session, principal, parent, sourced_id, collection, query, role=role
            )
            return _respond(answer, request)

        router.add_api_route(
            path,
            read_nested,
            methods=["GET"],
            summary=summary,
            description=description,
            operation_id=_operation_id(summary),
            response_class=JSONResponse,
            **{**_ACCESS, "responses": {**_ACCESS["responses"], 200: {"headers": _PAGE_HEADERS}}},
        )

    return make


_PAGE = " Paged with `limit`/`offset`; `filter`, `sort`/`orderBy` and `fields` as the binding says."

_collection(
    "/orgs",
    "Get all orgs",
    'The district and its schools (`{"orgs": […]}`).' + _PAGE,
    _lister("orgs"),
)
_record("/orgs/{sourcedId}", "Get org", 'One org (`{"org": {…}}`).', _getter("orgs"))
_collection(
    "/schools",
    "Get all schools",
    'The district\'s schools (`{"orgs": […]}`).' + _PAGE,
    _lister("orgs", schools_only=True),
)
_record(
    "/schools/{sourcedId}",
    "Get school",
    'One school (`{"org": {…}}`).',
    _getter("orgs", schools_only=True),
)
_nested("orgs", "classes")(
    "/schools/{sourcedId}/classes",
    "Get classes for school",
    'The school\'s classes (`{"classes": […]}`).' + _PAGE,
)
_nested("orgs", "enrollments")(
    "/schools/{sourcedId}/enrollments",
    "Get enrollments for school",
    'The school\'s enrollments (`{"enrollments": […]}`).' + _PAGE,
)
_nested("orgs", "users", "student")(
    "/schools/{sourcedId}/students",
    "Get students for school",
    'The school\'s students (`{"users": […]}`).' + _PAGE,
)
_nested("orgs", "users", "teacher")(
    "/schools/{sourcedId}/teachers",
    "Get teachers for school",
    'The school\'s teachers (`{"users": […]}`).' + _PAGE,
)
_collection(
    "/academicSessions",
    "Get all academic sessions",
    'School years, terms, semesters and grading periods (`{"academicSessions": […]}`).' + _PAGE,
    _lister("academicSessions"),
)
_record(
    "/academicSessions/{sourcedId}",
    "Get academic session",
    'One academic session (`{"academicSession": {…}}`).',
    _getter("academicSessions"),
)
_collection(
    "/courses", "Get all courses", 'Courses (`{"courses": […]}`).' + _PAGE, _lister("courses")
)
_record("/courses/{sourcedId}", "Get course", 'One course (`{"course": {…}}`).', _getter("courses"))
_collection(
    "/classes", "Get all classes", 'Classes (`{"classes": […]}`).' + _PAGE, _lister("classes")
)
_record("/classes/{sourcedId}", "Get class", 'One class (`{"class": {…}}`).', _getter("classes"))
_nested("classes", "users", "student")(
    "/classes/{sourcedId}/students",
    "Get students for class",
    'The class\'s current students (`{"users": […]}`).' + _PAGE,
)
_nested("classes", "users", "teacher")(
    "/classes/{sourcedId}/teachers",
    "Get teachers for class",
    'The class\'s current teachers (`{"users": […]}`).' + _PAGE,
)
_collection(
    "/users",
    "Get all users",
    'Everyone of the district (`{"users": […]}`).' + _PAGE,
    _lister("users"),
)
_record("/users/{sourcedId}", "Get user", 'One user (`{"user": {…}}`).', _getter("users"))
_collection(
    "/students",
    "Get all students",
    'Users with the student role (`{"users": […]}`).' + _PAGE,
    _lister("users", role="student"),
)
_collection(
    "/teachers",
    "Get all teachers",
    'Users with the teacher role (`{"users": […]}`).' + _PAGE,
    _lister("users", role="teacher"),
)
_collection(
    "/enrollments",
    "Get all enrollments",
    'Enrollments of students and teachers in classes (`{"enrollments": […]}`).' + _PAGE,
    _lister("enrollments"),
)
_record(
    "/enrollments/{sourcedId}",
    "Get enrollment",
    'One enrollment (`{"enrollment": {…}}`).',
    _getter("enrollments"),
)
