"""``/v1/frameworks`` and ``/v1/skills``: read the frameworks, import and edit a district's own."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Response, status

from pathwise_pathways.api.deps import Cache, DistrictId, UpstreamDep
from pathwise_pathways.domain.frameworks import EdgeData
from pathwise_pathways.models import Framework, Skill
from pathwise_pathways.schemas.common import OwnerOut
from pathwise_pathways.schemas.frameworks import (
    CaseImport,
    CsvRowErrorOut,
    EdgesIn,
    FrameworkCreate,
    FrameworkCsvPlan,
    FrameworkCsvUpload,
    FrameworkImportOut,
    FrameworkOut,
)
from pathwise_pathways.schemas.skills import SkillOut, SkillsIn
from pathwise_pathways.service import frameworks as service
from pathwise_shared.access import ADMINS, ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of
from pathwise_shared.problems import problem_responses

__all__ = ["router"]

router = APIRouter(tags=["frameworks"])
SkillCode = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")]


def _read() -> dict[str, Any]:
    return access(roles=ALL_USERS, scopes={"pathways:read", "pathways:write"})


def _write(responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The admin rule; ``responses``: statuses the operation answers beside the declared ones."""
    rule = access(roles=ADMINS, scopes={"pathways:write"}, action="write")
    rule["responses"] = {**rule["responses"], **(responses or {})}
    return rule


def framework_out(f: Framework) -> FrameworkOut:
    return FrameworkOut(
        id=f.id,
        district_id=f.district_id,
        shared=f.district_id is None,
        key=f.key,
        title=f.title,
        subject=f.subject,
        source=f.source,
        version=f.version,
        import_report=f.import_report or {},
        owner=OwnerOut(id=f.owner_id, school_id=f.owner_school_id),
        created_at=f.created_at,
    )


def import_out(outcome: service.ImportOutcome, response: Response) -> FrameworkImportOut:
    if outcome.outcome != "created":
        response.status_code = status.HTTP_200_OK
    return FrameworkImportOut(
        **framework_out(outcome.framework).model_dump(), outcome=outcome.outcome, diff=outcome.diff
    )


def skill_out(s: Skill, links: dict[str, Any] | None = None) -> SkillOut:
    return SkillOut(
        id=s.id,
        framework_id=s.framework_id,
        code=s.code,
        title=s.title,
        description=s.description,
        subject=s.subject,
        grade=s.grade,
        domain=s.domain,
        cluster=s.cluster,
        parent_code=s.parent_code,
        **(links or {}),
    )


@router.get("/v1/frameworks", response_model=Page[FrameworkOut], **_read())
async def list_frameworks(
    session: DbSession, district_id: DistrictId, limit: LimitParam = 50, cursor: CursorParam = None
) -> Page[FrameworkOut]:
    rows = await service.list_frameworks(session, district_id, limit, decode_id_cursor(cursor))
    return page_of(rows, limit, lambda f: (f.id,), framework_out)


@router.post(
    "/v1/frameworks",
    response_model=FrameworkOut,
    status_code=status.HTTP_201_CREATED,
    **_write(),
)
async def create_framework(
    body: FrameworkCreate, session: DbSession, principal: CurrentPrincipal, upstream: UpstreamDep
) -> FrameworkOut:
    framework = await service.create_framework(
        session, upstream, principal, body.key, body.title, body.subject
    )
    return framework_out(framework)


@router.post(
    "/v1/frameworks/imports/case",
    response_model=FrameworkImportOut,
    status_code=status.HTTP_201_CREATED,
    **_write(
        {
            200: {"description": "a re-import: updated in place, or unchanged"},
            **problem_responses(409),
        }
    ),
)
async def import_case_framework(
    body: CaseImport,
    session: DbSession,
    principal: CurrentPrincipal,
    upstream: UpstreamDep,
    response: Response,
) -> FrameworkImportOut:
    """A CASE 1.0/1.1 package as a framework of the caller's district; the report lists what was
    left over. A newer package of a document imported before updates that framework (200, with
    the diff); the same ``lastChangeDateTime`` changes nothing; an older one is a 409."""
    package = body.model_dump(exclude={"key"}, exclude_none=True)
    outcome = await service.import_case(session, upstream, principal, package, body.key)
    return import_out(outcome, response)


@router.post(
    "/v1/frameworks/imports/csv",
    response_model=FrameworkImportOut | FrameworkCsvPlan,
    status_code=status.HTTP_201_CREATED,
    **_write(
        {
            200: {"description": "a dry run: the plan and the row errors"},
            **problem_responses(409, 413),
        }
    ),
)
async def import_csv_framework(
    form: Annotated[FrameworkCsvUpload, Form()],
    session: DbSession,
    principal: CurrentPrincipal,
    upstream: UpstreamDep,
    response: Response,
) -> FrameworkImportOut | FrameworkCsvPlan:
    """A district's own standards from a CSV file (code, title, parent, prerequisites, grade,
    description). Row errors name line and column; any of them writes nothing (422)."""
    content = await form.file.read(service.MAX_CSV_BYTES + 1)
    result = await service.import_csv(
        session,
        upstream,
        principal,
        content,
        key=form.key,
        title=form.title,
        subject=form.subject,
        dry_run=form.dry_run,
    )
    if isinstance(result, service.CsvPlan):
        response.status_code = status.HTTP_200_OK
        return FrameworkCsvPlan(
            key=result.key,
            title=result.title,
            report=result.report,
            row_errors=[CsvRowErrorOut.model_validate(e) for e in result.errors],
            error_count=result.error_count,
        )
    return import_out(result, response)


@router.get("/v1/frameworks/{framework_id}", response_model=FrameworkOut, **_read())
async def get_framework(
    framework_id: uuid.UUID, session: DbSession, district_id: DistrictId
) -> FrameworkOut:
    return framework_out(await service.require_framework(session, district_id, framework_id))


@router.get("/v1/frameworks/{framework_id}/case", response_model=dict[str, Any], **_read())
async def export_case_framework(
    framework_id: uuid.UUID, session: DbSession, district_id: DistrictId
) -> dict[str, Any]:
    """The framework as a CASE 1.1 package (CFDocument, CFItems, CFAssociations): prerequisites
    as ``precedes``, related skills as ``isRelatedTo``, crosswalks as ``exactMatchOf``, the
    hierarchy as ``isChildOf``. Importing it gives the same framework back."""
    return await service.export_case(session, district_id, framework_id)


@router.post("/v1/frameworks/{framework_id}/skills", response_model=FrameworkOut, **_write())
async def add_framework_skills(
    framework_id: uuid.UUID,
    body: SkillsIn,
    session: DbSession,
    principal: CurrentPrincipal,
    upstream: UpstreamDep,
) -> FrameworkOut:
    """Add skills to a framework of your district (its author, school admin or district admin)."""
    specs = [s.model_dump() for s in body.skills]
    updated = await service.add_skills(session, upstream, principal, framework_id, specs)
    return framework_out(updated)


@router.post("/v1/frameworks/{framework_id}/edges", response_model=FrameworkOut, **_write())
async def add_framework_edges(
    framework_id: uuid.UUID,
    body: EdgesIn,
    session: DbSession,
    principal: CurrentPrincipal,
    upstream: UpstreamDep,
) -> FrameworkOut:
    """Prerequisite, related or exact-match edges; a prerequisite cycle is refused (409)."""
    edges = [EdgeData(e.source, e.target, e.kind) for e in body.edges]
    updated = await service.add_edges(session, upstream, principal, framework_id, edges)
    return framework_out(updated)


@router.get("/v1/skills", response_model=Page[SkillOut], **_read())
async def list_skills(
    session: DbSession,
    district_id: DistrictId,
    framework_id: uuid.UUID | None = None,
    grade: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> Page[SkillOut]:
    rows = await service.list_skills(
        session,
        district_id,
        limit=limit,
        after=decode_id_cursor(cursor),
        framework_id=framework_id,
        grade=grade,
        q=q,
    )
    return page_of(rows, limit, lambda s: (s.id,), skill_out)


@router.get("/v1/skills/{code}", response_model=SkillOut, **_read())
async def get_skill(
    code: SkillCode,
    session: DbSession,
    district_id: DistrictId,
    cache: Cache,
    framework_id: uuid.UUID | None = None,
) -> SkillOut:
    """One skill by code (the district's own framework first), with its edges."""
    skill, links = await service.get_skill_detail(session, cache, district_id, code, framework_id)
    return skill_out(skill, links)
