"""Framework data as plain values, and the two importers that produce it (CCSS CSV, CASE 1.x).

Both importers are pure: text in, :class:`FrameworkData` out, with a report of everything they
could not use. Writing it to the database is the service layer's job.
"""

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EdgeData",
    "FrameworkData",
    "SkillData",
    "UnmatchedEdge",
    "normalize_ccss_code",
    "parse_case_package",
    "parse_ccssm",
]

_HS_COMPACT = re.compile(r"^HS([A-Z])\.(.+)$")


@dataclass(frozen=True)
class SkillData:
    code: str
    title: str
    description: str
    subject: str
    grade: str | None = None
    domain: str | None = None
    cluster: str | None = None
    parent_code: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class EdgeData:
    source: str
    target: str
    kind: str  # prerequisite | related | exact_match
    target_framework: str | None = None


@dataclass(frozen=True)
class UnmatchedEdge:
    source: str
    target: str
    relationship: str
    reason: str


@dataclass
class FrameworkData:
    key: str
    title: str
    subject: str
    source: str
    source_id: str | None = None
    skills: list[SkillData] = field(default_factory=list)
    edges: list[EdgeData] = field(default_factory=list)
    unmatched: list[UnmatchedEdge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for edge in self.edges:
            kinds[edge.kind] = kinds.get(edge.kind, 0) + 1
        return {
            "skills": len(self.skills),
            "edges": kinds,
            "unmatched_edges": [
                {
                    "source": u.source,
                    "target": u.target,
                    "relationship": u.relationship,
                    "reason": u.reason,
                }
                for u in self.unmatched
            ],
            "notes": list(self.notes),
        }


def normalize_ccss_code(code: str) -> str:
    """``HSN.RN.B.3`` (the dependency file's spelling) → ``HS.N.RN.B.3`` (the standards')."""
    code = code.strip()
    match = _HS_COMPACT.match(code)
    return f"HS.{match.group(1)}.{match.group(2)}" if match else code


def _title(description: str, limit: int = 120) -> str:
    first = description.split(". ")[0].strip().rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def parse_ccssm(k8_csv: str, hs_csv: str, dependencies_csv: str) -> FrameworkData:
    """The Common Core math standards (K-8, high school) and their edges.

    ``dependency`` rows become prerequisites, ``conceptual connection`` rows ``related`` edges
    (never gating); rows naming a code that is in neither standards file are reported, not kept.
    """
    data = FrameworkData(
        key="ccssm",
        title="Common Core State Standards for Mathematics",
        subject="math",
        source="ccssm-csv",
    )
    for row in csv.DictReader(io.StringIO(k8_csv)):
        base = ".".join(
            (
                row["grade_level_code"],
                row["domain_code"],
                row["cluster_code"],
                row["standard_counter"],
            )
        )
        _add_standard(data, row, base, grade=row["grade_level_code"], domain=row["domain_code"])
    for row in csv.DictReader(io.StringIO(hs_csv)):
        base = ".".join(
            (
                "HS",
                row["category_code"],
                row["domain_code"],
                row["cluster_code"],
                row["standard_counter"],
            )
        )
        _add_standard(
            data, row, base, grade="HS", domain=f"{row['category_code']}.{row['domain_code']}"
        )
    known = {s.code for s in data.skills}
    kinds = {"dependency": "prerequisite", "conceptual connection": "related"}
    seen: set[tuple[str, str, str]] = set()
    for row in csv.DictReader(io.StringIO(dependencies_csv)):
        relationship = (row.get("relationship") or "").strip()
        source = normalize_ccss_code(row.get("source") or "")
        target = normalize_ccss_code(row.get("target") or "")
        kind = kinds.get(relationship)
        missing = [c for c in (source, target) if c not in known]
        if kind is None:
            reason = f"unknown relationship {relationship!r}"
        elif missing:
            reason = "no such standard: " + ", ".join(missing)
        elif source == target:
            reason = "a skill cannot depend on itself"
        else:
            if (source, target, kind) not in seen:
                seen.add((source, target, kind))
                data.edges.append(EdgeData(source, target, kind))
            continue
        data.unmatched.append(UnmatchedEdge(source, target, relationship, reason))
    return data


def _add_standard(
    data: FrameworkData, row: Mapping[str, str], base: str, *, grade: str, domain: str
) -> None:
    sub = (row.get("substandard_counter") or "").strip()
    description = (row.get("description") or "").strip()
    cluster = f"{domain}.{row['cluster_code']}"
    data.skills.append(
        SkillData(
            code=f"{base}.{sub}" if sub else base,
            title=_title(description),
            description=description,
            subject="math",
            grade=grade,
            domain=domain,
            cluster=cluster,
            parent_code=base if sub else None,
        )
    )


_CASE_PREREQ = {"precedes"}
_CASE_CHILD = {"isChildOf"}
_CASE_MATCH = {"exactMatchOf"}


def _case_ref(link: Any) -> tuple[str | None, str | None]:
    """(identifier, human coding scheme or title) of a CASE LinkURI object."""
    if not isinstance(link, Mapping):
        return None, None
    ident = link.get("identifier")
    return (str(ident) if ident else None, str(link.get("title") or "") or None)


def parse_case_package(package: Mapping[str, Any], *, key: str | None = None) -> FrameworkData:
    """A CASE 1.x package (``CFDocument``, ``CFItems``, ``CFAssociations``).

    ``isChildOf`` → hierarchy, ``precedes`` (A precedes B: A is a prerequisite of B) →
    prerequisite, ``exactMatchOf`` to an item outside the package → crosswalk by the target's
    human coding scheme. Items are keyed by ``humanCodingScheme`` (their identifier when absent).
    """
    document = package.get("CFDocument")
    if not isinstance(document, Mapping):
        raise ValueError("the package has no CFDocument object")
    items = package.get("CFItems") or []
    associations = package.get("CFAssociations") or []
    if not isinstance(items, list) or not isinstance(associations, list):
        raise ValueError("CFItems and CFAssociations must be lists")
    doc_id = str(document.get("identifier") or "")
    data = FrameworkData(
        key=key or str(document.get("identifier") or document.get("title") or "case")[:100],
        title=str(document.get("title") or "CASE framework")[:300],
        subject=str((document.get("subject") or ["general"])[0])[:100]
        if isinstance(document.get("subject"), list)
        else str(document.get("subject") or "general")[:100],
        source="case",
        source_id=doc_id or None,
    )
    by_id: dict[str, str] = {}
    entries: list[tuple[str, Mapping[str, Any]]] = []
    for item in items:
        if not isinstance(item, Mapping) or not item.get("identifier"):
            data.notes.append("an item without identifier was left out")
            continue
        ident = str(item["identifier"])
        code = str(item.get("humanCodingScheme") or ident)[:100]
        if code in by_id.values():
            data.notes.append(f"duplicate code {code} (item {ident}) was left out")
            continue
        by_id[ident] = code
        entries.append((code, item))
    parents: dict[str, str] = {}
    for assoc in associations:
        if not isinstance(assoc, Mapping):
            continue
        kind = str(assoc.get("associationType") or "")
        origin_id, _origin_title = _case_ref(assoc.get("originNodeURI"))
        dest_id, dest_title = _case_ref(assoc.get("destinationNodeURI"))
        origin = by_id.get(origin_id or "")
        dest = by_id.get(dest_id or "")
        if kind in _CASE_CHILD:
            if origin and dest:
                parents[origin] = dest
            elif origin and dest_id == doc_id:
                continue  # a top-level item: child of the document itself
            else:
                data.unmatched.append(
                    UnmatchedEdge(
                        origin or str(origin_id), dest or str(dest_id), kind, "item not in package"
                    )
                )
        elif kind in _CASE_PREREQ:
            if origin and dest and origin != dest:
                data.edges.append(EdgeData(origin, dest, "prerequisite"))
            else:
                data.unmatched.append(
                    UnmatchedEdge(
                        origin or str(origin_id), dest or str(dest_id), kind, "item not in package"
                    )
                )
        elif kind in _CASE_MATCH:
            target = dest or dest_title
            if origin and target:
                data.edges.append(EdgeData(origin, target, "exact_match"))
            else:
                data.unmatched.append(
                    UnmatchedEdge(str(origin_id), str(dest_id), kind, "item not in package")
                )
    for code, item in entries:
        statement = str(item.get("fullStatement") or item.get("abbreviatedStatement") or code)
        grades = item.get("educationLevel")
        data.skills.append(
            SkillData(
                code=code,
                title=str(item.get("abbreviatedStatement") or _title(statement))[:300],
                description=statement,
                subject=data.subject,
                grade=str(grades[0])[:20] if isinstance(grades, list) and grades else None,
                parent_code=parents.get(code),
                source_id=str(item["identifier"])[:200],
            )
        )
    return data
