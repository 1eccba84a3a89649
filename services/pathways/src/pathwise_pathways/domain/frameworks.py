"""Framework data as plain values, and the importers that produce it (CCSS CSV, CASE 1.0/1.1).

The importers are pure: text in, :class:`FrameworkData` out, with a report of everything they
could not use. Writing it to the database is the service layer's job.
"""

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CASE_ASSOCIATION_TYPES",
    "DESTINATION_DOCUMENT_EXTENSION",
    "AssociationData",
    "EdgeData",
    "FrameworkData",
    "SkillData",
    "UnmatchedEdge",
    "normalize_ccss_code",
    "parse_case_datetime",
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
    source_uri: str | None = None


@dataclass(frozen=True)
class EdgeData:
    """``prerequisite`` / ``related`` between two skills of the framework, or ``exact_match``: a
    crosswalk to a skill that may live elsewhere. A crosswalk keeps what identifies its target
    beyond a code: its CASE identifier and URI and, when the package names it, the framework
    (CFDocument) it belongs to; the title is kept only to resolve it, never trusted alone
    (exporters put placeholders there)."""

    source: str
    target: str
    kind: str  # prerequisite | related | exact_match
    target_id: str | None = None
    target_uri: str | None = None
    target_title: str | None = None
    target_document_id: str | None = None
    target_document_uri: str | None = None


@dataclass(frozen=True)
class AssociationData:
    """A CASE association kept as it came, typed (``isPeerOf``, ``exemplar``, ``ext:…``): the
    kinds that neither shape the hierarchy nor gate a pathway. An end inside the framework has
    its code; an end outside it only its identifier and URI."""

    kind: str
    origin_id: str
    destination_id: str
    origin_code: str | None = None
    origin_uri: str | None = None
    destination_code: str | None = None
    destination_uri: str | None = None
    destination_title: str | None = None
    identifier: str | None = None
    sequence_number: int | None = None


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
    associations: list[AssociationData] = field(default_factory=list)
    unmatched: list[UnmatchedEdge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # CASE only: the CFDocument's lastChangeDateTime (what a re-import compares), the rest of its
    # metadata worth keeping (uri, creator, version, …), and what was accepted but not stored.
    changed_at: datetime | None = None
    document: dict[str, Any] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for edge in self.edges:
            kinds[edge.kind] = kinds.get(edge.kind, 0) + 1
        associations: dict[str, int] = {}
        for assoc in self.associations:
            associations[assoc.kind] = associations.get(assoc.kind, 0) + 1
        report: dict[str, Any] = {
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
        if self.source == "case":
            report["associations"] = associations
            report["ignored"] = dict(self.ignored)
            report["document"] = dict(self.document)
        return report


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


# CASE 1.0 and 1.1 association types. ``isChildOf`` is the hierarchy, ``precedes`` between two
# items of the package a prerequisite (A precedes B: A before B), ``isRelatedTo`` between two items
# a ``related`` edge (never gating), ``exactMatchOf`` a crosswalk; every other one (and ``ext:``
# types, CASE 1.1) is kept as a typed association.
CASE_ASSOCIATION_TYPES = frozenset(
    {
        "isChildOf",
        "isPeerOf",
        "isPartOf",
        "exactMatchOf",
        "precedes",
        "isRelatedTo",
        "replacedBy",
        "exemplar",
        "hasSkillLevel",
        "isTranslationOf",
    }
)
MAX_CASE_ITEMS = 20_000
MAX_CASE_ASSOCIATIONS = 100_000
_EXTENSION_TYPE = re.compile(r"^ext:[A-Za-z0-9._-]+$")
# CFDocument fields kept in the import report (and written back by the export).
_DOCUMENT_FIELDS = (
    "uri",
    "creator",
    "publisher",
    "officialSourceURL",
    "version",
    "adoptionStatus",
    "language",
    "lastChangeDateTime",
    "caseVersion",
    "frameworkType",
)
# The extension an exported crosswalk names its target's framework in (CASE 1.1 lets every
# association carry ``extensions``; LinkGenURI itself has no room for it).
DESTINATION_DOCUMENT_EXTENSION = "destinationCFDocumentURI"


@dataclass(frozen=True)
class _Link:
    identifier: str | None
    uri: str | None
    title: str | None


def _clip(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def _link(value: Any) -> _Link:
    """A CASE LinkURI / LinkGenURI object (``title``, ``identifier``, ``uri``)."""
    if not isinstance(value, Mapping):
        return _Link(None, None, None)
    return _Link(
        _clip(value.get("identifier"), 200),
        _clip(value.get("uri"), 1000),
        _clip(value.get("title"), 300),
    )


def parse_case_datetime(value: Any) -> datetime | None:
    """A CASE date-time (``2024-03-01T12:00:00Z``, ``+02:00``; no offset read as UTC), in UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"lastChangeDateTime {value!r} is not a date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"lastChangeDateTime {value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _first_text(value: Any) -> str | None:
    """``subject`` and ``educationLevel`` come as a list or, from some tools, a single string."""
    if isinstance(value, list):
        return next((str(v).strip() for v in value if str(v).strip()), None)
    return _clip(value, 1000)


def _count_ignored(package: Mapping[str, Any], data: FrameworkData) -> None:
    """What a package may carry that no skill or edge is made of: counted in the report."""
    definitions = package.get("CFDefinitions")
    if definitions is not None:
        if not isinstance(definitions, Mapping):
            raise ValueError("CFDefinitions must be an object")
        for name, value in definitions.items():
            if isinstance(value, list) and value:
                data.ignored[f"CFDefinitions.{name}"] = len(value)
    rubrics = package.get("CFRubrics")
    if rubrics is not None:
        if not isinstance(rubrics, list):
            raise ValueError("CFRubrics must be a list")
        if rubrics:
            data.ignored["CFRubrics"] = len(rubrics)
    if package.get("extensions"):
        data.ignored["extensions"] = 1


def _document_meta(document: Mapping[str, Any], definitions: Mapping[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in _DOCUMENT_FIELDS:
        value = _clip(document.get(name), 1000)
        if value:
            meta[name] = value
    licence = _link(document.get("licenseURI"))
    if licence.identifier or licence.uri:
        known = definitions.get("CFLicenses") if isinstance(definitions, Mapping) else None
        for entry in known if isinstance(known, list) else []:
            if isinstance(entry, Mapping) and entry.get("identifier") == licence.identifier:
                licence = _Link(licence.identifier, licence.uri, _clip(entry.get("title"), 300))
        meta["license"] = {k: v for k, v in vars(licence).items() if v}
    return meta


def parse_case_package(package: Mapping[str, Any], *, key: str | None = None) -> FrameworkData:
    """A CASE 1.0 or 1.1 package: ``CFDocument``, ``CFItems``, ``CFAssociations``, and the
    ``CFDefinitions``, ``CFRubrics`` and ``extensions`` real packages carry (accepted, counted in
    the report, not stored); CASE 1.1's ``{"CFPackage": {...}}`` wrapping is unwrapped.

    Items are keyed by ``humanCodingScheme`` (their identifier when absent). Associations: see
    :data:`CASE_ASSOCIATION_TYPES`; one that names an item the package does not hold is reported.
    """
    wrapped = package.get("CFPackage")
    if "CFDocument" not in package and isinstance(wrapped, Mapping):
        package = wrapped
    document = package.get("CFDocument")
    if not isinstance(document, Mapping):
        raise ValueError("the package has no CFDocument object")
    items = package.get("CFItems") or []
    associations = package.get("CFAssociations") or []
    if not isinstance(items, list) or not isinstance(associations, list):
        raise ValueError("CFItems and CFAssociations must be lists")
    # The body schema bounds these lists, but not inside a CFPackage wrapper.
    if len(items) > MAX_CASE_ITEMS or len(associations) > MAX_CASE_ASSOCIATIONS:
        raise ValueError(
            f"A package holds at most {MAX_CASE_ITEMS} items and {MAX_CASE_ASSOCIATIONS} "
            "associations."
        )
    definitions = package.get("CFDefinitions") or {}
    doc_id = _clip(document.get("identifier"), 200)
    subject = _first_text(document.get("subject"))
    if subject is None:
        subjects = document.get("subjectURI")
        if isinstance(subjects, list) and subjects:
            subject = _link(subjects[0]).title
    data = FrameworkData(
        key=key or str(doc_id or document.get("title") or "case")[:100],
        title=str(document.get("title") or "CASE framework")[:300],
        subject=(subject or "general")[:100],
        source="case",
        source_id=doc_id,
        changed_at=parse_case_datetime(document.get("lastChangeDateTime")),
    )
    _count_ignored(package, data)
    data.document = _document_meta(document, definitions)
    by_id: dict[str, str] = {}
    entries: list[tuple[str, Mapping[str, Any]]] = []
    codes: set[str] = set()
    for item in items:
        if not isinstance(item, Mapping) or not item.get("identifier"):
            data.notes.append("an item without identifier was left out")
            continue
        ident = str(item["identifier"])[:200]
        code = str(item.get("humanCodingScheme") or ident).strip()[:100]
        if code in codes:
            data.notes.append(f"duplicate code {code} (item {ident}) was left out")
            continue
        codes.add(code)
        by_id[ident] = code
        entries.append((code, item))
    parents = _read_associations(data, associations, by_id, doc_id)
    for code, item in entries:
        statement = str(item.get("fullStatement") or item.get("abbreviatedStatement") or code)
        grade = _first_text(item.get("educationLevel"))
        data.skills.append(
            SkillData(
                code=code,
                title=str(item.get("abbreviatedStatement") or _title(statement))[:300],
                description=statement,
                subject=data.subject,
                grade=grade[:20] if grade else None,
                parent_code=parents.get(code),
                source_id=str(item["identifier"])[:200],
                source_uri=_clip(item.get("uri"), 1000),
            )
        )
    return data


def _read_associations(
    data: FrameworkData,
    associations: list[Any],
    by_id: Mapping[str, str],
    doc_id: str | None,
) -> dict[str, str]:
    """Edges and typed associations into ``data``; the hierarchy (child code → parent code)."""
    parents: dict[str, str] = {}
    seen: set[tuple[str, str, str]] = set()
    for assoc in associations:
        if not isinstance(assoc, Mapping):
            data.notes.append("an association that is not an object was left out")
            continue
        kind = str(assoc.get("associationType") or "")
        origin = _link(assoc.get("originNodeURI"))
        dest = _link(assoc.get("destinationNodeURI"))
        origin_code = by_id.get(origin.identifier or "")
        dest_code = by_id.get(dest.identifier or "")

        ends = (origin_code or str(origin.identifier), dest_code or str(dest.identifier))

        def unmatched(reason: str, ends: tuple[str, str] = ends, kind: str = kind) -> None:
            data.unmatched.append(UnmatchedEdge(ends[0], ends[1], kind, reason))

        if not origin.identifier or not dest.identifier:
            unmatched("an end without identifier")
        elif kind == "isChildOf":
            if origin_code and dest_code:
                if parents.setdefault(origin_code, dest_code) != dest_code:
                    data.notes.append(
                        f"{origin_code} has a second parent {dest_code}; "
                        f"kept {parents[origin_code]}"
                    )
            elif not (origin_code and dest.identifier == doc_id):  # top-level: child of the doc
                unmatched("item not in package")
        elif kind == "precedes":
            if origin_code and dest_code and origin_code != dest_code:
                _add_edge(data, seen, EdgeData(origin_code, dest_code, "prerequisite"))
            elif origin_code and origin_code == dest_code:
                unmatched("a skill cannot precede itself")
            else:
                unmatched("item not in package")
        elif kind == "exactMatchOf" and origin_code:
            target_doc = _target_document(assoc, dest_code, doc_id)
            _add_edge(
                data,
                seen,
                EdgeData(
                    origin_code,
                    dest_code or (dest.title or dest.identifier)[:100],
                    "exact_match",
                    target_id=dest.identifier,
                    target_uri=dest.uri,
                    target_title=dest.title,
                    target_document_id=target_doc.identifier,
                    target_document_uri=target_doc.uri,
                ),
            )
        elif kind == "isRelatedTo" and origin_code and dest_code and origin_code != dest_code:
            _add_edge(data, seen, EdgeData(origin_code, dest_code, "related"))
        elif kind in CASE_ASSOCIATION_TYPES or _EXTENSION_TYPE.match(kind):
            if origin_code or dest_code or doc_id in (origin.identifier, dest.identifier):
                data.associations.append(
                    AssociationData(
                        kind=kind[:100],
                        origin_id=origin.identifier,
                        destination_id=dest.identifier,
                        origin_code=origin_code,
                        origin_uri=origin.uri,
                        destination_code=dest_code,
                        destination_uri=dest.uri,
                        destination_title=dest.title,
                        identifier=_clip(assoc.get("identifier"), 200),
                        sequence_number=_sequence(assoc.get("sequenceNumber")),
                    )
                )
            else:
                unmatched("neither end is in the package")
        else:
            unmatched(f"unknown association type {kind!r}")
    return parents


def _add_edge(data: FrameworkData, seen: set[tuple[str, str, str]], edge: EdgeData) -> None:
    # A crosswalk is one per target identifier: titles may all be the same placeholder.
    key = (edge.source, edge.target_id or edge.target, edge.kind)
    if key in seen:
        data.notes.append(f"duplicate {edge.kind} edge {edge.source} → {key[1]} was left out")
        return
    seen.add(key)
    data.edges.append(edge)


def _target_document(assoc: Mapping[str, Any], dest_code: str | None, doc_id: str | None) -> _Link:
    """The framework a crosswalk's target belongs to: this one when the target is in the package;
    else the document the association names for it, if any (our exports, some tools)."""
    if dest_code is not None:
        return _Link(doc_id, None, None)
    extensions = assoc.get("extensions")
    if isinstance(extensions, Mapping) and DESTINATION_DOCUMENT_EXTENSION in extensions:
        return _link(extensions[DESTINATION_DOCUMENT_EXTENSION])
    destination = assoc.get("destinationNodeURI")
    if isinstance(destination, Mapping):
        return _link(destination.get("CFDocumentURI"))
    return _Link(None, None, None)


def _sequence(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
