"""Frameworks and skills: imports (CCSS, CASE), edits with cycle refusal, code resolution."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.frameworks import (
    EdgeData,
    FrameworkData,
    SkillData,
    parse_case_package,
)
from pathwise_pathways.domain.graph import CycleError
from pathwise_pathways.models import Framework, Skill, SkillEdge
from pathwise_pathways.repository import frameworks as repo
from pathwise_pathways.service.graph_cache import GraphCache, build_district_graph
from pathwise_pathways.service.ownership import new_owner, owner_of, require_change_right
from pathwise_pathways.service.upstream import Upstream
from pathwise_shared.auth import Principal
from pathwise_shared.ownership import Owner
from pathwise_shared.problems import Conflict, Forbidden, NotFound, UnprocessableContent

__all__ = [
    "add_edges",
    "add_skills",
    "create_framework",
    "get_skill_detail",
    "import_case",
    "import_ccssm",
    "import_district_framework",
    "import_framework",
    "list_frameworks",
    "list_skills",
    "owned_framework",
    "require_framework",
    "resolve_codes",
]

MAX_IMPORT_SKILLS = 20_000


async def _refuse_cycles(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    new_edges: Sequence[EdgeData],
) -> None:
    """Build the district's graph with the new prerequisites; a cycle is a 409 naming it."""
    extra = [(e.source, e.target) for e in new_edges if e.kind == "prerequisite"]
    if not extra:
        return
    if district_id is None:
        key: tuple[tuple[uuid.UUID, int, bool], ...] = ()
        rows = repo.GraphRows(skills=[], prerequisites=[])
    else:
        key = tuple(await repo.framework_versions(session, district_id))
        rows = await repo.graph_rows(session, [fid for fid, _, _ in key])
    try:
        build_district_graph(key, rows, extra)
    except CycleError as exc:
        raise Conflict(
            f"These prerequisites would make a cycle: {' → '.join(exc.cycle)}.",
            slug="prerequisite-cycle",
            cycle=exc.cycle,
        ) from exc


async def import_framework(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    data: FrameworkData,
    owner: Owner | None = None,
) -> Framework:
    """A whole framework in one go (``district_id`` None: shared by every district, no owner)."""
    if len(data.skills) > MAX_IMPORT_SKILLS:
        raise UnprocessableContent(
            f"A framework import holds at most {MAX_IMPORT_SKILLS} skills.", slug="too-many-skills"
        )
    if not data.skills:
        raise UnprocessableContent("The framework has no skills.", slug="empty-framework")
    if await repo.find_framework_by_key(session, district_id, data.key) is not None:
        raise Conflict(
            f"A framework with key {data.key!r} exists already.", slug="framework-exists"
        )
    codes = {s.code for s in data.skills}
    dangling = sorted(
        {c for e in data.edges if e.kind != "exact_match" for c in (e.source, e.target)} - codes
    )
    if dangling:
        raise UnprocessableContent(
            "Edges name skills the framework does not define: " + ", ".join(dangling[:20]),
            slug="unknown-skill-codes",
            codes=dangling[:100],
        )
    await _refuse_cycles(session, district_id, data.edges)
    framework = Framework(
        district_id=district_id,
        key=data.key,
        title=data.title,
        subject=data.subject,
        source=data.source,
        source_id=data.source_id,
        version=1,
        import_report=data.report(),
        owner_id=owner.id if owner else None,
        owner_school_id=owner.school_id if owner else None,
    )
    session.add(framework)
    await session.flush()
    await repo.add_skills(session, framework.id, data.skills)
    await repo.add_edges(session, framework.id, data.edges)
    return framework


async def import_ccssm(session: AsyncSession) -> tuple[Framework, bool]:
    """The shared Common Core math framework; (framework, created now)."""
    existing = await repo.find_framework_by_key(session, None, "ccssm")
    if existing is not None:
        return existing, False
    return await import_framework(session, None, load_ccssm()), True


async def import_district_framework(
    session: AsyncSession, upstream: Upstream, principal: Principal, data: FrameworkData
) -> Framework:
    """A CASE import into the caller's district; the caller owns it. Importing the same key again
    is a 409 ``framework-exists`` (no re-import that could replace another owner's framework)."""
    district_id = principal.require_district()
    return await import_framework(session, district_id, data, await new_owner(upstream, principal))


async def import_case(
    session: AsyncSession,
    upstream: Upstream,
    principal: Principal,
    package: dict[str, Any],
    key: str | None,
) -> Framework:
    """A CASE 1.x package as a framework of the caller's district; the report lists leftovers."""
    try:
        data = parse_case_package(package, key=key)
    except (ValueError, TypeError) as exc:
        raise UnprocessableContent(str(exc), slug="invalid-case-package") from exc
    return await import_district_framework(session, upstream, principal, data)


async def list_frameworks(
    session: AsyncSession, district_id: uuid.UUID, limit: int, after: uuid.UUID | None
) -> Sequence[Framework]:
    """The shared frameworks and the district's own, a page (one more row than ``limit``)."""
    return await repo.list_frameworks(session, district_id, limit, after)


async def require_framework(
    session: AsyncSession, district_id: uuid.UUID, framework_id: uuid.UUID
) -> Framework:
    framework = await repo.get_framework(session, district_id, framework_id)
    if framework is None:
        raise NotFound("No such framework.", slug="framework-not-found")
    return framework


async def list_skills(
    session: AsyncSession,
    district_id: uuid.UUID,
    *,
    limit: int,
    after: uuid.UUID | None,
    framework_id: uuid.UUID | None,
    grade: str | None,
    q: str | None,
) -> Sequence[Skill]:
    return await repo.list_skills(
        session,
        district_id,
        limit=limit,
        after=after,
        framework_id=framework_id,
        grade=grade,
        q=q,
    )


async def create_framework(
    session: AsyncSession,
    upstream: Upstream,
    principal: Principal,
    key: str,
    title: str,
    subject: str,
) -> Framework:
    district_id = principal.require_district()
    if await repo.find_framework_by_key(session, district_id, key) is not None:
        raise Conflict(f"A framework with key {key!r} exists already.", slug="framework-exists")
    owner = await new_owner(upstream, principal)
    framework = Framework(
        district_id=district_id,
        key=key,
        title=title,
        subject=subject,
        source="manual",
        version=1,
        import_report={},
        owner_id=owner.id,
        owner_school_id=owner.school_id,
    )
    session.add(framework)
    await session.flush()
    return framework


async def owned_framework(
    session: AsyncSession, upstream: Upstream, principal: Principal, framework_id: uuid.UUID
) -> Framework:
    """The district's framework, if the caller may change it (ownership rule)."""
    district_id = principal.require_district()
    framework = await repo.get_framework(session, district_id, framework_id)
    if framework is None:
        raise NotFound("No such framework.", slug="framework-not-found")
    if framework.district_id != district_id:
        raise Forbidden(
            "Shared frameworks are read-only; create a framework of your district to edit.",
            slug="shared-framework-read-only",
        )
    await require_change_right(upstream, principal, owner_of(framework), "framework")
    return framework


async def add_skills(
    session: AsyncSession,
    upstream: Upstream,
    principal: Principal,
    framework_id: uuid.UUID,
    specs: Sequence[Mapping[str, Any]],
) -> Framework:
    """Skills (``code``, ``title``, ``description``, ``grade``, ``parent_code``) added to a
    framework the caller may change; they take the framework's subject."""
    framework = await owned_framework(session, upstream, principal, framework_id)
    skills = [SkillData(subject=framework.subject, **spec) for spec in specs]
    existing = await repo.codes_in_framework(session, framework.id)
    codes = [s.code for s in skills]
    clash = sorted({c for c in codes if c in existing or codes.count(c) > 1})
    if clash:
        raise Conflict("These codes exist already: " + ", ".join(clash[:20]), slug="skill-exists")
    await repo.add_skills(session, framework.id, skills)
    await repo.bump_version(session, framework.id)
    # bump_version is a statement: the loaded row does not know its new version yet.
    await session.refresh(framework)
    return framework


async def add_edges(
    session: AsyncSession,
    upstream: Upstream,
    principal: Principal,
    framework_id: uuid.UUID,
    edges: list[EdgeData],
) -> Framework:
    district_id = principal.require_district()
    framework = await owned_framework(session, upstream, principal, framework_id)
    existing = await repo.codes_in_framework(session, framework.id)
    unknown = sorted(
        {c for e in edges for c in (e.source, e.target) if c not in existing}
        - {e.target for e in edges if e.kind == "exact_match"}
    )
    if unknown:
        raise UnprocessableContent(
            "Unknown skill codes in this framework: " + ", ".join(unknown[:20]),
            slug="unknown-skill-codes",
            codes=unknown[:100],
        )
    if any(e.source == e.target for e in edges):
        raise Conflict("A skill cannot be its own prerequisite.", slug="prerequisite-cycle")
    await _refuse_cycles(session, district_id, edges)
    await repo.add_edges(session, framework.id, edges)
    await repo.bump_version(session, framework.id)
    await session.refresh(framework)
    return framework


async def resolve_codes(
    session: AsyncSession, cache: GraphCache, district_id: uuid.UUID, codes: Sequence[str]
) -> tuple[list[str], list[str]]:
    graph = await cache.get(session, district_id)
    known = [c for c in dict.fromkeys(codes) if c in graph.skills]
    unknown = [c for c in dict.fromkeys(codes) if c not in graph.skills]
    return known, unknown


async def get_skill_detail(
    session: AsyncSession,
    cache: GraphCache,
    district_id: uuid.UUID,
    code: str,
    framework_id: uuid.UUID | None,
) -> tuple[Skill, dict[str, Any]]:
    skill = await repo.get_skill(session, district_id, code, framework_id)
    if skill is None:
        raise NotFound(f"No skill {code!r} in your frameworks.", slug="skill-not-found")
    edges: Sequence[SkillEdge] = await repo.edges_of_skill(session, skill.framework_id, code)
    links: dict[str, Any] = {
        "prerequisites": sorted(
            e.source_code for e in edges if e.kind == "prerequisite" and e.target_code == code
        ),
        "dependents": sorted(
            e.target_code for e in edges if e.kind == "prerequisite" and e.source_code == code
        ),
        "related": sorted(
            (e.target_code if e.source_code == code else e.source_code)
            for e in edges
            if e.kind == "related"
        ),
        "exact_matches": sorted(
            e.target_code for e in edges if e.kind == "exact_match" and e.source_code == code
        ),
    }
    return skill, links
