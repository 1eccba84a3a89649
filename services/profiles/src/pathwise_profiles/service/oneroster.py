"""The OneRoster 1.2 REST rostering reads: a collection or one record of it, scoped to the
caller's district (and to a school admin's schools), filtered, sorted, paged and shaped as the
binding says.

Who may call them is declared on the routes (district and school admins, clients with
``roster:read``); here every query carries the district, and a school admin's reach
(``admin_schools``) narrows it further. A record outside the reach answers 404, as one of another
district does: its existence is not revealed.

Each answer also says which learners it shows (``Answer.learners``: the students among the users,
the students of the enrollments) so the router can tell the gateway, which audits the read.
"""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Subquery
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_profiles.domain import oneroster_rest as rest
from pathwise_profiles.domain.oneroster_query import (
    Paging,
    QueryError,
    check_filter,
    parse_fields,
    parse_filter,
    parse_paging,
    parse_sort,
    select_fields,
)
from pathwise_profiles.repository import oneroster as repo
from pathwise_profiles.service.roster.common import admin_schools
from pathwise_shared.auth import Principal
from pathwise_shared.problems import BadRequest, NotFound
from pathwise_shared.timeutil import utcnow

__all__ = ["Answer", "Query", "get_record", "list_records", "list_under"]

# The not-found slug of each collection's records (``{object}-not-found``).
_WHAT = {
    "orgs": ("org", "org-not-found"),
    "academicSessions": ("academic session", "academic-session-not-found"),
    "courses": ("course", "course-not-found"),
    "classes": ("class", "class-not-found"),
    "users": ("user", "user-not-found"),
    "enrollments": ("enrollment", "enrollment-not-found"),
}


@dataclass(frozen=True)
class Query:
    """The binding's query parameters, as sent (checked here, against the collection)."""

    filter: str | None = None
    sort: str | None = None
    order_by: str | None = None
    fields: str | None = None
    limit: str | None = None
    offset: str | None = None


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    learners: Sequence[uuid.UUID] = ()
    # Set for a collection: how many records match in all, and the page served.
    total: int | None = None
    paging: Paging | None = None


def _problem(error: QueryError) -> BadRequest:
    """The problem of a query parameter; ``codeMinor`` is the binding's code for it."""
    code, where = error.code, error.parameter
    if code == "invalid_filter_field":
        return BadRequest(
            error.message, slug="invalid-filter-field", codeMinor=code, parameter=where
        )
    if code == "invalid_selection_field":
        return BadRequest(
            error.message, slug="invalid-selection-field", codeMinor=code, parameter=where
        )
    if code == "invalid_sort_field":
        return BadRequest(error.message, slug="invalid-sort-field", codeMinor=code, parameter=where)
    return BadRequest(error.message, slug="invalid-query", codeMinor=code, parameter=where)


@dataclass(frozen=True)
class _Scope:
    district: rest.Ref
    # None: the whole district (district admins, clients, operators).
    schools: list[uuid.UUID] | None


async def _scope(session: AsyncSession, principal: Principal) -> _Scope:
    district_id = principal.require_district()
    return _Scope(
        await repo.district_ref(session, district_id), await admin_schools(session, principal)
    )


def _reach(collection: str, v: Subquery, scope: _Scope) -> list[ColumnElement[bool]]:
    where = [v.c.district_id == scope.district.id]
    if scope.schools is not None:
        where.append(repo.in_schools(collection, v, scope.schools))
    return where


async def _records(
    session: AsyncSession, collection: str, rows: Sequence[RowMapping], scope: _Scope
) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """The rows as binding records, and the learners among them."""
    district = scope.district
    if collection == "users":
        ids = [r["id"] for r in rows]
        roles = await repo.roles_of(session, ids)
        schools = await repo.schools_of(session, ids)
        agents = await repo.agents_of(session, ids)
        records = [
            rest.user(
                r, rest.UserLinks(roles[r["id"]], schools[r["id"]], agents[r["id"]]), district
            )
            for r in rows
        ]
        return records, [i for i in ids if "student" in roles[i]]
    if collection == "enrollments":
        learners = [r["user_id"] for r in rows if r["role"] == "student"]
        return [rest.enrollment(r) for r in rows], learners
    if collection == "orgs":
        children: list[rest.Ref] = []
        if any(r["type"] == "district" for r in rows):
            children = await repo.schools_of_district(session, district.id)
            if scope.schools is not None:
                children = [c for c in children if c.id in scope.schools]
        return [rest.org(r, children if r["type"] == "district" else ()) for r in rows], []
    shape: Mapping[str, Callable[[RowMapping], dict[str, Any]]] = {
        "academicSessions": lambda r: rest.academic_session(r, district),
        "courses": lambda r: rest.course(r, district),
        "classes": rest.klass,
    }
    return [shape[collection](r) for r in rows], []


async def _page(
    session: AsyncSession,
    collection: str,
    v: Subquery,
    where: list[ColumnElement[bool]],
    scope: _Scope,
    query: Query,
    plural: str,
) -> Answer:
    spec = rest.COLLECTIONS[collection]
    try:
        paging = parse_paging(query.limit, query.offset)
        fields = parse_fields(query.fields, spec.selectable)
        sort = parse_sort(query.sort, query.order_by, spec.filterable)
        if query.filter is not None:
            parsed = parse_filter(query.filter)
            conditions = check_filter(parsed, spec.filterable)
            where = [*where, repo.where_filter(collection, v, conditions, parsed.logic)]
    except QueryError as exc:
        raise _problem(exc) from exc
    listing = await repo.fetch_page(session, collection, v, where, sort, paging)
    records, learners = await _records(session, collection, listing.rows, scope)
    body = {plural: [select_fields(r, fields) for r in records]}
    return Answer(body, learners, listing.total, paging)


async def list_records(
    session: AsyncSession,
    principal: Principal,
    collection: str,
    query: Query,
    *,
    schools_only: bool = False,
    role: str | None = None,
) -> Answer:
    """A collection; ``schools_only``: the orgs that are schools (``/schools``); ``role``: the
    users of that role (``/students``, ``/teachers``)."""
    scope = await _scope(session, principal)
    v = repo.view(collection)
    where = _reach(collection, v, scope)
    if schools_only:
        where.append(v.c.type == "school")
    if role is not None:
        where.append(repo.with_role(v, role))
    return await _page(session, collection, v, where, scope, query, collection)


async def _find(
    session: AsyncSession,
    collection: str,
    sourced_id: str,
    scope: _Scope,
    *,
    schools_only: bool = False,
) -> RowMapping:
    v = repo.view(collection)
    where = _reach(collection, v, scope)
    if schools_only:
        where.append(v.c.type == "school")
    row = await repo.by_sourced_id(session, v, sourced_id, where)
    if row is None:
        what, slug = ("school", "school-not-found") if schools_only else _WHAT[collection]
        raise NotFound(f"No {what} with sourcedId {sourced_id!r} in your district.", slug=slug)
    return row


async def get_record(
    session: AsyncSession,
    principal: Principal,
    collection: str,
    sourced_id: str,
    fields: str | None,
    *,
    schools_only: bool = False,
) -> Answer:
    scope = await _scope(session, principal)
    spec = rest.COLLECTIONS[collection]
    try:
        selected = parse_fields(fields, spec.selectable)
    except QueryError as exc:
        raise _problem(exc) from exc
    row = await _find(session, collection, sourced_id, scope, schools_only=schools_only)
    records, learners = await _records(session, collection, [row], scope)
    return Answer({spec.singular: select_fields(records[0], selected)}, learners)


async def list_under(
    session: AsyncSession,
    principal: Principal,
    parent: str,
    sourced_id: str,
    collection: str,
    query: Query,
    *,
    role: str | None = None,
) -> Answer:
    """A collection under one school or class (``/schools/{id}/classes``,
    ``/classes/{id}/students``, …): the parent is found in the caller's reach first (404 when it
    is not), then the collection is listed as usual, narrowed to it. ``role``: the users'
    (``student``, ``teacher``)."""
    scope = await _scope(session, principal)
    owner = await _find(session, parent, sourced_id, scope, schools_only=parent == "orgs")
    v = repo.view(collection)
    where = _reach(collection, v, scope)
    if collection == "users" and role is not None:
        if parent == "classes":
            where.append(repo.enrolled_in(v, owner["id"], role, utcnow().date()))
        else:
            where += [repo.member_of(v, owner["id"]), repo.with_role(v, role)]
    else:
        where.append(v.c.school_id == owner["id"])
    return await _page(session, collection, v, where, scope, query, collection)
