"""Frameworks and skills: imports (CCSS, CASE, CSV), CASE re-import and export, edits with cycle
refusal, code resolution."""

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from pathwise_pathways.domain.case_export import case_package, diff_frameworks
from pathwise_pathways.domain.ccssm_data import load_ccssm
from pathwise_pathways.domain.framework_csv import parse_framework_csv
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
from pathwise_shared.problems import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnprocessableContent,
)
from pathwise_shared.timeutil import utcnow

__all__ = [
    "CsvPlan",
    "ImportOutcome",
    "add_edges",
    "add_skills",
    "create_framework",
    "export_case",
    "get_skill_detail",
    "import_case",
    "import_ccssm",
    "import_csv",
    "import_district_framework",
    "import_framework",
    "list_frameworks",
    "list_skills",
    "owned_framework",
    "require_framework",
    "resolve_codes",
]

MAX_IMPORT_SKILLS = 20_000
MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_ROW_ERRORS_REPORTED = 100


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: ``created``, ``updated`` in place (with the diff) or ``unchanged``."""

    framework: Framework
    outcome: Literal["created", "updated", "unchanged"]
    diff: dict[str, Any] | None = None


@dataclass(frozen=True)
class CsvPlan:
    """A dry run of a CSV import: what would be created, and the row errors that would stop it."""

    key: str
    title: str
    report: dict[str, Any]
    errors: list[dict[str, object]]
    error_count: int


async def _refuse_cycles(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    new_edges: Sequence[EdgeData],
    replacing: uuid.UUID | None = None,
) -> None:
    """Build the district's graph with the new prerequisites; a cycle is a 409 naming it.
    ``replacing``: a framework whose prerequisites the new ones replace (a re-import)."""
    extra = [(e.source, e.target) for e in new_edges if e.kind == "prerequisite"]
    if not extra:
        return
    if district_id is None:
        key: tuple[tuple[uuid.UUID, int, bool], ...] = ()
        rows = repo.GraphRows(skills=[], prerequisites=[])
    else:
        key = tuple(await repo.framework_versions(session, district_id))
        rows = await repo.graph_rows(session, [fid for fid, _, _ in key])
        if replacing is not None:
            rows = repo.GraphRows(
                skills=rows.skills,
                prerequisites=[p for p in rows.prerequisites if p[0] != replacing],
            )
    try:
        build_district_graph(key, rows, extra)
    except CycleError as exc:
        raise Conflict(
            f"These prerequisites would make a cycle: {' → '.join(exc.cycle)}.",
            slug="prerequisite-cycle",
            cycle=exc.cycle,
        ) from exc


def _check_content(data: FrameworkData) -> None:
    if len(data.skills) > MAX_IMPORT_SKILLS:
        raise UnprocessableContent(
            f"A framework import holds at most {MAX_IMPORT_SKILLS} skills.", slug="too-many-skills"
        )
    if not data.skills:
        raise UnprocessableContent("The framework has no skills.", slug="empty-framework")
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


async def _resolve_crosswalks(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    data: FrameworkData,
    replacing: uuid.UUID | None = None,
) -> tuple[dict[str, uuid.UUID | None], dict[str, int]]:
    """Point each crosswalk at a skill of the district's frameworks when one is known: by the CASE
    identifier it was imported with, else by the target's title read as a code; otherwise the
    target's code is its identifier (titles are placeholders in real packages, never trusted
    alone). Rewrites ``data.edges``; answers each target code's framework (None: this one) and
    the counts for the report."""
    own = {s.code: s.source_id for s in data.skills}

    def inside(edge: EdgeData) -> bool:
        return (
            edge.target in own and edge.target_id is not None and own[edge.target] == edge.target_id
        )

    outside = [e for e in data.edges if e.kind == "exact_match" and not inside(e)]
    found: list[repo.CrosswalkTarget] = []
    if district_id is not None and outside:
        found = await repo.crosswalk_targets(
            session,
            district_id,
            sorted({e.target_id for e in outside if e.target_id}),
            sorted({e.target_title or e.target for e in outside}),
        )
    # The district's own skills win over the shared ones (as in the planning graph).
    found = [f for f in found if f.framework_id != replacing]
    found.sort(key=lambda f: f.owned)
    by_id = {f.source_id: f for f in found if f.source_id}
    by_code = {f.code: f for f in found}
    targets: dict[str, uuid.UUID | None] = {}
    counts = {"resolved": 0, "by_identifier_only": 0}
    edges: list[EdgeData] = []
    seen: set[tuple[str, str, str]] = set()
    for edge in data.edges:
        if edge.kind == "exact_match":
            if inside(edge):
                targets[edge.target] = None
                counts["resolved"] += 1
            else:
                hit = by_id.get(edge.target_id or "") or by_code.get(
                    edge.target_title or edge.target
                )
                if hit is not None:
                    targets[hit.code] = hit.framework_id
                    counts["resolved"] += 1
                    edge = dataclasses.replace(edge, target=hit.code)
                else:
                    counts["by_identifier_only"] += 1
                    edge = dataclasses.replace(edge, target=(edge.target_id or edge.target)[:100])
            edge = dataclasses.replace(edge, target_title=None)
        key = (edge.source, edge.target, edge.kind)
        if key in seen:
            data.notes.append(f"crosswalk {edge.source} → {edge.target} named twice; kept once")
            continue
        seen.add(key)
        edges.append(edge)
    data.edges = edges
    return targets, counts


def _report(data: FrameworkData, crosswalks: Mapping[str, int]) -> dict[str, Any]:
    report = data.report()
    if data.source == "case":
        report["crosswalks"] = dict(crosswalks)
    return report


async def import_framework(
    session: AsyncSession,
    district_id: uuid.UUID | None,
    data: FrameworkData,
    owner: Owner | None = None,
) -> Framework:
    """A whole framework in one go (``district_id`` None: shared by every district, no owner)."""
    _check_content(data)
    if await repo.find_framework_by_key(session, district_id, data.key) is not None:
        raise Conflict(
            f"A framework with key {data.key!r} exists already.", slug="framework-exists"
        )
    targets, crosswalks = await _resolve_crosswalks(session, district_id, data)
    await _refuse_cycles(session, district_id, data.edges)
    framework = Framework(
        district_id=district_id,
        key=data.key,
        title=data.title,
        subject=data.subject,
        source=data.source,
        source_id=data.source_id,
        version=1,
        import_report=_report(data, crosswalks),
        # A CASE package says when it last changed (None: any dated re-import is newer).
        changed_at=data.changed_at if data.source == "case" else utcnow(),
        owner_id=owner.id if owner else None,
        owner_school_id=owner.school_id if owner else None,
    )
    session.add(framework)
    await session.flush()
    await repo.add_skills(session, framework.id, data.skills)
    await repo.add_edges(
        session, framework.id, data.edges, {c: f or framework.id for c, f in targets.items()}
    )
    await repo.add_associations(session, framework.id, data.associations)
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
    """A new framework of the caller's district; the caller owns it. A key the district uses
    already is a 409 ``framework-exists`` (a CASE re-import is matched by its document instead)."""
    district_id = principal.require_district()
    return await import_framework(session, district_id, data, await new_owner(upstream, principal))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "none"


async def _find_document(
    session: AsyncSession, district_id: uuid.UUID, document_id: str | None
) -> Framework | None:
    """The district's framework a CASE document is a version of: one imported from it, or one of
    ours it was exported from (our export names a framework by its id when it has no CASE id)."""
    if not document_id:
        return None
    found = await repo.find_framework_by_source_id(session, district_id, document_id)
    if found is not None:
        return found
    try:
        own_id = uuid.UUID(document_id)
    except ValueError:
        return None
    mine = await repo.get_framework(session, district_id, own_id)
    return mine if mine is not None and mine.district_id == district_id else None


async def import_case(
    session: AsyncSession,
    upstream: Upstream,
    principal: Principal,
    package: dict[str, Any],
    key: str | None,
) -> ImportOutcome:
    """A CASE 1.0/1.1 package as a framework of the caller's district; the report lists what was
    left over. A package of a document the district has imported already is a re-import: newer
    (``lastChangeDateTime``) updates the framework in place and answers the diff, the same date
    changes nothing (other content at that date is a 409 ``framework-version-conflict``), an
    older one is a 409 ``framework-outdated``."""
    try:
        data = parse_case_package(package, key=key)
    except (ValueError, TypeError) as exc:
        raise UnprocessableContent(str(exc), slug="invalid-case-package") from exc
    district_id = principal.require_district()
    existing = await _find_document(session, district_id, data.source_id)
    if existing is None:
        framework = await import_district_framework(session, upstream, principal, data)
        return ImportOutcome(framework, "created")
    framework = await owned_framework(session, upstream, principal, existing.id)
    if data.changed_at is None:
        raise UnprocessableContent(
            f"Framework {framework.key!r} was imported from CASE document {data.source_id} "
            "already; to replace it, the package's CFDocument needs its lastChangeDateTime.",
            slug="invalid-case-package",
        )
    stored = framework.changed_at
    if stored is not None and data.changed_at < stored:
        raise Conflict(
            f"This package (lastChangeDateTime {_iso(data.changed_at)}) is older than framework "
            f"{framework.key!r} (last changed {_iso(stored)}); nothing was changed.",
            slug="framework-outdated",
            framework_id=str(framework.id),
            received=_iso(data.changed_at),
            current=_iso(stored),
        )
    if stored is not None and data.changed_at == stored:
        # Same document, same date: the same version, unless the content says otherwise. Two
        # packages that claim one version and differ (OpenSALT's own test packages share one
        # identifier and date) must not be answered "unchanged" while nothing was imported.
        # crosswalks compared as they would be stored (resolved, or by identifier)
        await _resolve_crosswalks(session, district_id, data, framework.id)
        diff = diff_frameworks(await repo.framework_content(session, framework), data)
        # Skills, edges and the title decide; the other associations' details do not survive
        # our own export unchanged (an export sent back would conflict with itself).
        substantive = dataclasses.replace(diff, associations_changed=False)
        if substantive.empty and data.title == framework.title:
            return ImportOutcome(framework, "unchanged")
        raise Conflict(
            f"This package has the same CFDocument identifier and lastChangeDateTime "
            f"({_iso(data.changed_at)}) as framework {framework.key!r} but other content; a "
            "revised package needs a later lastChangeDateTime. Nothing was changed.",
            slug="framework-version-conflict",
            framework_id=str(framework.id),
            diff=diff.as_dict(),
        )
    return await _replace_framework(session, district_id, framework, data)


async def _replace_framework(
    session: AsyncSession, district_id: uuid.UUID, framework: Framework, data: FrameworkData
) -> ImportOutcome:
    _check_content(data)
    before = await repo.framework_content(session, framework)
    targets, crosswalks = await _resolve_crosswalks(session, district_id, data, framework.id)
    await _refuse_cycles(session, district_id, data.edges, replacing=framework.id)
    diff = diff_frameworks(before, data)
    await repo.replace_content(
        session, framework.id, before, data, {c: f or framework.id for c, f in targets.items()}
    )
    framework.title = data.title
    framework.subject = data.subject
    framework.changed_at = data.changed_at
    framework.version = framework.version + 1
    framework.import_report = {**_report(data, crosswalks), "diff": diff.as_dict()}
    await session.flush()
    return ImportOutcome(framework, "updated", diff.as_dict())


async def import_csv(
    session: AsyncSession,
    upstream: Upstream,
    principal: Principal,
    content: bytes,
    *,
    key: str,
    title: str,
    subject: str,
    dry_run: bool,
) -> ImportOutcome | CsvPlan:
    """A district's own standards from a CSV file. Any row error writes nothing (422 listing
    them by line and column); a dry run answers the plan and the errors, writing nothing."""
    district_id = principal.require_district()
    if len(content) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"A framework CSV holds at most {MAX_CSV_BYTES} bytes.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnprocessableContent(
            f"The file is not UTF-8 (byte {exc.start}).", slug="invalid-framework-csv"
        ) from exc
    parsed = parse_framework_csv(text, key=key, title=title, subject=subject)
    data = parsed.data
    errors = [e.as_dict() for e in parsed.errors[:MAX_ROW_ERRORS_REPORTED]]
    if await repo.find_framework_by_key(session, district_id, key) is not None:
        raise Conflict(f"A framework with key {key!r} exists already.", slug="framework-exists")
    if dry_run:
        if not parsed.errors:
            _check_content(data)
            await _refuse_cycles(session, district_id, data.edges)
        return CsvPlan(key, title, data.report(), errors, len(parsed.errors))
    if parsed.errors:
        raise UnprocessableContent(
            f"{len(parsed.errors)} row error(s) in the CSV; nothing was written.",
            slug="invalid-framework-csv",
            row_errors=errors,
            error_count=len(parsed.errors),
        )
    framework = await import_district_framework(session, upstream, principal, data)
    return ImportOutcome(framework, "created")


async def export_case(
    session: AsyncSession, district_id: uuid.UUID, framework_id: uuid.UUID
) -> dict[str, Any]:
    """A framework the district sees as a CASE 1.1 package (CFDocument, CFItems, CFAssociations):
    what ``import_case`` reads back into the same skills, edges and associations."""
    framework = await require_framework(session, district_id, framework_id)
    data = await repo.framework_content(session, framework)
    return case_package(
        data, framework.source_id or str(framework.id), framework.changed_at or framework.updated_at
    )


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
        changed_at=utcnow(),
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
        "crosswalks": [
            {
                "code": e.target_code,
                "framework_id": e.target_framework_id,
                "identifier": e.target_id,
                "uri": e.target_uri,
                "document_identifier": e.target_document_id,
                "document_uri": e.target_document_uri,
            }
            for e in sorted(edges, key=lambda e: e.target_code)
            if e.kind == "exact_match" and e.source_code == code
        ],
    }
    return skill, links
