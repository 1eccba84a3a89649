"""Queries on frameworks, skills and skill edges."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.frameworks import AssociationData, EdgeData, FrameworkData, SkillData
from pathwise_pathways.models import Framework, FrameworkAssociation, Skill, SkillEdge
from pathwise_shared.ids import new_id
from pathwise_shared.timeutil import utcnow

__all__ = [
    "CrosswalkTarget",
    "GraphRows",
    "SkillRow",
    "add_associations",
    "add_edges",
    "add_skills",
    "bump_version",
    "codes_in_framework",
    "crosswalk_targets",
    "edges_of_skill",
    "find_framework_by_key",
    "find_framework_by_source_id",
    "framework_content",
    "framework_versions",
    "get_framework",
    "get_skill",
    "graph_rows",
    "list_frameworks",
    "list_skills",
    "remove_edge",
    "replace_content",
    "visible",
]


def visible(district_id: uuid.UUID) -> object:
    """Frameworks a district sees: its own and the shared ones."""
    return or_(Framework.district_id == district_id, Framework.district_id.is_(None))


async def list_frameworks(
    session: AsyncSession, district_id: uuid.UUID, limit: int, after: uuid.UUID | None
) -> Sequence[Framework]:
    stmt = select(Framework).where(visible(district_id))  # type: ignore[arg-type]
    if after is not None:
        stmt = stmt.where(Framework.id > after)
    return (await session.scalars(stmt.order_by(Framework.id).limit(limit + 1))).all()


async def get_framework(
    session: AsyncSession, district_id: uuid.UUID | None, framework_id: uuid.UUID
) -> Framework | None:
    stmt = select(Framework).where(Framework.id == framework_id)
    if district_id is not None:
        stmt = stmt.where(visible(district_id))  # type: ignore[arg-type]
    return (await session.scalars(stmt)).one_or_none()


async def find_framework_by_key(
    session: AsyncSession, district_id: uuid.UUID | None, key: str
) -> Framework | None:
    cond = (
        Framework.district_id.is_(None)
        if district_id is None
        else Framework.district_id == district_id
    )
    return (await session.scalars(select(Framework).where(cond, Framework.key == key))).first()


# The graph cache's key, read on every planning and class insights request: built once.
_FRAMEWORK_VERSIONS = (
    select(Framework.id, Framework.version, Framework.district_id)
    .where(or_(Framework.district_id == bindparam("district_id"), Framework.district_id.is_(None)))
    .order_by(Framework.id)
)


async def framework_versions(
    session: AsyncSession, district_id: uuid.UUID
) -> list[tuple[uuid.UUID, int, bool]]:
    """(id, version, owned by the district) of every visible framework; the graph cache key."""
    rows = await session.execute(_FRAMEWORK_VERSIONS, {"district_id": district_id})
    return [(r[0], r[1], r[2] is not None) for r in rows]


@dataclass(frozen=True)
class SkillRow:
    code: str
    title: str
    grade: str | None
    framework_id: uuid.UUID


@dataclass(frozen=True)
class GraphRows:
    skills: list[SkillRow]
    prerequisites: list[tuple[uuid.UUID, str, str]]


async def graph_rows(session: AsyncSession, framework_ids: Sequence[uuid.UUID]) -> GraphRows:
    skills = await session.execute(
        select(Skill.code, Skill.title, Skill.grade, Skill.framework_id).where(
            Skill.framework_id.in_(framework_ids)
        )
    )
    edges = await session.execute(
        select(SkillEdge.framework_id, SkillEdge.source_code, SkillEdge.target_code).where(
            SkillEdge.framework_id.in_(framework_ids), SkillEdge.kind == "prerequisite"
        )
    )
    return GraphRows(
        skills=[SkillRow(r[0], r[1], r[2], r[3]) for r in skills],
        prerequisites=[(r[0], r[1], r[2]) for r in edges],
    )


async def codes_in_framework(session: AsyncSession, framework_id: uuid.UUID) -> set[str]:
    rows = await session.scalars(select(Skill.code).where(Skill.framework_id == framework_id))
    return set(rows)


async def add_skills(
    session: AsyncSession, framework_id: uuid.UUID, skills: Iterable[SkillData]
) -> int:
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "framework_id": framework_id,
            "code": s.code,
            "title": s.title,
            "description": s.description,
            "subject": s.subject,
            "grade": s.grade,
            "domain": s.domain,
            "cluster": s.cluster,
            "parent_code": s.parent_code,
            "source_id": s.source_id,
            "source_uri": s.source_uri,
            "created_at": now,
        }
        for s in skills
    ]
    if rows:
        await session.execute(insert(Skill), rows)
    return len(rows)


async def add_edges(
    session: AsyncSession,
    framework_id: uuid.UUID,
    edges: Iterable[EdgeData],
    target_frameworks: Mapping[str, uuid.UUID] | None = None,
) -> int:
    """``target_frameworks``: the framework each resolved crosswalk target code belongs to."""
    found = target_frameworks or {}
    rows = [
        {
            "id": new_id(),
            "framework_id": framework_id,
            "source_code": e.source,
            "target_code": e.target,
            "kind": e.kind,
            "target_framework_id": found.get(e.target) if e.kind == "exact_match" else None,
            "target_id": e.target_id,
            "target_uri": e.target_uri,
            "target_document_id": e.target_document_id,
            "target_document_uri": e.target_document_uri,
        }
        for e in edges
    ]
    if rows:
        await session.execute(insert(SkillEdge), rows)
    return len(rows)


async def remove_edge(
    session: AsyncSession, framework_id: uuid.UUID, source: str, target: str, kind: str
) -> int:
    result = await session.execute(
        delete(SkillEdge).where(
            SkillEdge.framework_id == framework_id,
            SkillEdge.source_code == source,
            SkillEdge.target_code == target,
            SkillEdge.kind == kind,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def bump_version(session: AsyncSession, framework_id: uuid.UUID) -> None:
    """A local edit: a new version (the graph cache key) and a new content date."""
    now = utcnow()
    await session.execute(
        update(Framework)
        .where(Framework.id == framework_id)
        .values(version=Framework.version + 1, updated_at=now, changed_at=now)
    )


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
    stmt = (
        select(Skill)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(
            visible(district_id)  # type: ignore[arg-type]
        )
    )
    if framework_id is not None:
        stmt = stmt.where(Skill.framework_id == framework_id)
    if grade is not None:
        stmt = stmt.where(Skill.grade == grade)
    if q:
        pattern = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Skill.code).like(pattern), func.lower(Skill.title).like(pattern))
        )
    if after is not None:
        stmt = stmt.where(Skill.id > after)
    return (await session.scalars(stmt.order_by(Skill.id).limit(limit + 1))).all()


async def get_skill(
    session: AsyncSession, district_id: uuid.UUID, code: str, framework_id: uuid.UUID | None
) -> Skill | None:
    """The district's own skill of that code first, else the shared one."""
    stmt = (
        select(Skill)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(visible(district_id), Skill.code == code)  # type: ignore[arg-type]
        .order_by(Framework.district_id.is_(None), Framework.id)
    )
    if framework_id is not None:
        stmt = stmt.where(Skill.framework_id == framework_id)
    return (await session.scalars(stmt.limit(1))).first()


async def edges_of_skill(
    session: AsyncSession, framework_id: uuid.UUID, code: str
) -> Sequence[SkillEdge]:
    stmt = select(SkillEdge).where(
        SkillEdge.framework_id == framework_id,
        or_(
            SkillEdge.source_code == code,
            and_(SkillEdge.target_code == code, SkillEdge.kind != "exact_match"),
        ),
    )
    return (await session.scalars(stmt)).all()


async def find_framework_by_source_id(
    session: AsyncSession, district_id: uuid.UUID, source_id: str
) -> Framework | None:
    """The district's framework imported from the CASE document of that identifier."""
    stmt = select(Framework).where(
        Framework.district_id == district_id,
        Framework.source == "case",
        Framework.source_id == source_id,
    )
    return (await session.scalars(stmt.order_by(Framework.created_at))).first()


async def add_associations(
    session: AsyncSession, framework_id: uuid.UUID, associations: Iterable[AssociationData]
) -> int:
    rows = [
        {
            "id": new_id(),
            "framework_id": framework_id,
            "kind": a.kind,
            "identifier": a.identifier,
            "origin_id": a.origin_id,
            "origin_code": a.origin_code,
            "origin_uri": a.origin_uri,
            "destination_id": a.destination_id,
            "destination_code": a.destination_code,
            "destination_uri": a.destination_uri,
            "destination_title": a.destination_title,
            "sequence_number": a.sequence_number,
        }
        for a in associations
    ]
    if rows:
        await session.execute(insert(FrameworkAssociation), rows)
    return len(rows)


async def framework_content(session: AsyncSession, framework: Framework) -> FrameworkData:
    """A stored framework as the importers' plain values (what a diff or an export reads)."""
    skills = await session.scalars(
        select(Skill).where(Skill.framework_id == framework.id).order_by(Skill.code)
    )
    edges = await session.scalars(
        select(SkillEdge)
        .where(SkillEdge.framework_id == framework.id)
        .order_by(SkillEdge.kind, SkillEdge.source_code, SkillEdge.target_code)
    )
    associations = await session.scalars(
        select(FrameworkAssociation)
        .where(FrameworkAssociation.framework_id == framework.id)
        .order_by(FrameworkAssociation.kind, FrameworkAssociation.id)
    )
    report = framework.import_report or {}
    return FrameworkData(
        key=framework.key,
        title=framework.title,
        subject=framework.subject,
        source=framework.source,
        source_id=framework.source_id,
        skills=[
            SkillData(
                code=s.code,
                title=s.title,
                description=s.description,
                subject=s.subject,
                grade=s.grade,
                domain=s.domain,
                cluster=s.cluster,
                parent_code=s.parent_code,
                source_id=s.source_id,
                source_uri=s.source_uri,
            )
            for s in skills
        ],
        edges=[
            EdgeData(
                e.source_code,
                e.target_code,
                e.kind,
                target_id=e.target_id,
                target_uri=e.target_uri,
                target_document_id=e.target_document_id,
                target_document_uri=e.target_document_uri,
            )
            for e in edges
        ],
        associations=[
            AssociationData(
                kind=a.kind,
                origin_id=a.origin_id,
                destination_id=a.destination_id,
                origin_code=a.origin_code,
                origin_uri=a.origin_uri,
                destination_code=a.destination_code,
                destination_uri=a.destination_uri,
                destination_title=a.destination_title,
                identifier=a.identifier,
                sequence_number=a.sequence_number,
            )
            for a in associations
        ],
        changed_at=framework.changed_at,
        document=dict(report.get("document") or {}),
    )


async def replace_content(
    session: AsyncSession,
    framework_id: uuid.UUID,
    before: FrameworkData,
    after: FrameworkData,
    target_frameworks: Mapping[str, uuid.UUID],
) -> None:
    """Make the framework's skills, edges and associations those of ``after``, in place: skills
    keep their row (and id) when their code stays, so only what changed is written."""
    old = {s.code: s for s in before.skills}
    new = {s.code: s for s in after.skills}
    gone = sorted(old.keys() - new.keys())
    if gone:
        await session.execute(
            delete(Skill).where(Skill.framework_id == framework_id, Skill.code.in_(gone))
        )
    for code in sorted(old.keys() & new.keys()):
        if old[code] != new[code]:
            s = new[code]
            await session.execute(
                update(Skill)
                .where(Skill.framework_id == framework_id, Skill.code == code)
                .values(
                    title=s.title,
                    description=s.description,
                    subject=s.subject,
                    grade=s.grade,
                    domain=s.domain,
                    cluster=s.cluster,
                    parent_code=s.parent_code,
                    source_id=s.source_id,
                    source_uri=s.source_uri,
                )
            )
    await add_skills(session, framework_id, [new[c] for c in sorted(new.keys() - old.keys())])
    # Edges have no identity beyond their key and facts: the changed ones are rewritten.
    kept = set(before.edges) & set(after.edges)
    for edge in before.edges:
        if edge not in kept:
            await remove_edge(session, framework_id, edge.source, edge.target, edge.kind)
    await add_edges(
        session, framework_id, [e for e in after.edges if e not in kept], target_frameworks
    )
    await session.execute(
        delete(FrameworkAssociation).where(FrameworkAssociation.framework_id == framework_id)
    )
    await add_associations(session, framework_id, after.associations)


@dataclass(frozen=True)
class CrosswalkTarget:
    code: str
    source_id: str | None
    framework_id: uuid.UUID
    owned: bool


async def crosswalk_targets(
    session: AsyncSession,
    district_id: uuid.UUID,
    identifiers: Sequence[str],
    codes: Sequence[str],
) -> list[CrosswalkTarget]:
    """Skills of the district's frameworks (its own and the shared ones) a crosswalk may name:
    by the CASE identifier they were imported with, or by code."""
    if not identifiers and not codes:
        return []
    rows = await session.execute(
        select(Skill.code, Skill.source_id, Skill.framework_id, Framework.district_id)
        .join(Framework, Framework.id == Skill.framework_id)
        .where(
            visible(district_id),  # type: ignore[arg-type]
            or_(Skill.source_id.in_(list(identifiers)), Skill.code.in_(list(codes))),
        )
    )
    return [CrosswalkTarget(r[0], r[1], r[2], r[3] is not None) for r in rows]
