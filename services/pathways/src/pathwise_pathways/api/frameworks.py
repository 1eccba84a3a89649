"""``/v1/frameworks`` and ``/v1/skills``: read the frameworks, import and edit a district's own."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from pathwise_pathways.api.deps import Cache, DistrictId, UpstreamDep
from pathwise_pathways.domain.frameworks import EdgeData
from pathwise_pathways.models import Framework, Skill
from pathwise_pathways.schemas.common import OwnerOut
from pathwise_pathways.schemas.frameworks import CaseImport, EdgesIn, FrameworkCreate, FrameworkOut
from pathwise_pathways.schemas.skills import SkillOut, SkillsIn
from pathwise_pathways.service import frameworks as service
from pathwise_shared.access import ADMINS, ALL_USERS, access
from pathwise_shared.app import DbSession
from pathwise_shared.auth import CurrentPrincipal
from pathwise_shared.pagination import CursorParam, LimitParam, Page, decode_id_cursor, page_of

__all__ = ["router"]

router = APIRouter(tags=["frameworks"])
SkillCode = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")]


def _read() -> dict[str, Any]:
    return access(roles=ALL_USERS, scopes={"pathways:read", "pathways:write"})


def _write() -> dict[str, Any]:
    return access(roles=ADMINS, scopes={"pathways:write"}, action="write")


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


def skill_out(s: Skill, links: dict[str, list[str]] | None = None) -> SkillOut:
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
    response_model=FrameworkOut,
    status_code=status.HTTP_201_CREATED,
    **_write(),
)
async def import_case_framework(
    body: CaseImport, session: DbSession, principal: CurrentPrincipal, upstream: UpstreamDep
) -> FrameworkOut:
    """A CASE 1.x package as a framework of the caller's district; the report lists leftovers."""
    framework = await service.import_case(session, upstream, principal, body.model_dump(), body.key)
    return framework_out(framework)


@router.get("/v1/frameworks/{framework_id}", response_model=FrameworkOut, **_read())
async def get_framework(
    framework_id: uuid.UUID, session: DbSession, district_id: DistrictId
) -> FrameworkOut:
    return framework_out(await service.require_framework(session, district_id, framework_id))


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
