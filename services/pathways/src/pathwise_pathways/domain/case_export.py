"""A framework as a CASE 1.1 package, and what changed between two versions of a framework.

Pure, like the importers: ``case_package(data)`` is what ``parse_case_package`` reads back into
the same skills, edges and typed associations (``tests``: import(export(x)) == x). Identifiers a
framework never had (a district's own skills) are derived from the document's identifier and the
code, so exporting twice gives the same package.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pathwise_pathways.domain.frameworks import (
    DESTINATION_DOCUMENT_EXTENSION,
    AssociationData,
    EdgeData,
    FrameworkData,
    SkillData,
)

__all__ = ["FrameworkDiff", "case_package", "diff_frameworks", "edge_key"]

CASE_VERSION = "1.1"
# What each edge kind is written as; the importer reads each back to the same kind.
_ASSOCIATION_OF_KIND = {
    "prerequisite": "precedes",
    "related": "isRelatedTo",
    "exact_match": "exactMatchOf",
}


def _derived_id(document_id: str, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "#".join((document_id, *parts))))


def _urn(identifier: str) -> str:
    return f"urn:uuid:{identifier}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def case_package(data: FrameworkData, document_id: str, changed_at: datetime) -> dict[str, Any]:
    """``data`` as a CASE 1.1 CFPackage (``CFDocument``, ``CFItems``, ``CFAssociations``)."""
    meta = data.document
    doc_uri = str(meta.get("uri") or _urn(document_id))
    stamp = _stamp(changed_at)
    document: dict[str, Any] = {
        "identifier": document_id,
        "uri": doc_uri,
        "creator": str(meta.get("creator") or data.title),
        "title": data.title,
        "lastChangeDateTime": stamp,
        "subject": [data.subject],
        "caseVersion": CASE_VERSION,
    }
    for name in ("publisher", "officialSourceURL", "version", "adoptionStatus", "language"):
        if meta.get(name):
            document[name] = meta[name]
    licence = meta.get("license")
    if isinstance(licence, dict) and licence.get("identifier") and licence.get("uri"):
        document["licenseURI"] = {
            "title": licence.get("title") or "License",
            "identifier": licence["identifier"],
            "uri": licence["uri"],
        }
    doc_link = {"title": data.title, "identifier": document_id, "uri": doc_uri}
    links: dict[str, dict[str, str]] = {}
    items: list[dict[str, Any]] = []
    for skill in data.skills:
        ident = skill.source_id or _derived_id(document_id, "item", skill.code)
        uri = skill.source_uri or _urn(ident)
        links[skill.code] = {"title": skill.code, "identifier": ident, "uri": uri}
        item: dict[str, Any] = {
            "identifier": ident,
            "uri": uri,
            "fullStatement": skill.description or skill.title,
            "humanCodingScheme": skill.code,
            "abbreviatedStatement": skill.title,
            "lastChangeDateTime": stamp,
        }
        if skill.grade:
            item["educationLevel"] = [skill.grade]
        items.append(item)
    associations: list[dict[str, Any]] = []

    def association(
        kind: str,
        origin: dict[str, str],
        destination: dict[str, str],
        sequence: int | None = None,
        identifier: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        ident = identifier or _derived_id(
            document_id, kind, origin["identifier"], destination["identifier"]
        )
        entry: dict[str, Any] = {
            "identifier": ident,
            "uri": _urn(ident),
            "associationType": kind,
            "originNodeURI": origin,
            "destinationNodeURI": destination,
            "lastChangeDateTime": stamp,
        }
        if sequence is not None:
            entry["sequenceNumber"] = sequence
        if extensions:
            entry["extensions"] = extensions
        associations.append(entry)

    for position, skill in enumerate(data.skills, start=1):
        parent = links.get(skill.parent_code or "", doc_link)
        association("isChildOf", links[skill.code], parent, sequence=position)
    for edge in data.edges:
        origin = links.get(edge.source)
        if origin is None:
            continue
        destination, extensions = _edge_destination(edge, links, document_id)
        association(_ASSOCIATION_OF_KIND[edge.kind], origin, destination, extensions=extensions)
    for assoc in data.associations:
        association(
            assoc.kind,
            _end(assoc.origin_code, assoc.origin_id, assoc.origin_uri, None, links, doc_link),
            _end(
                assoc.destination_code,
                assoc.destination_id,
                assoc.destination_uri,
                assoc.destination_title,
                links,
                doc_link,
            ),
            sequence=assoc.sequence_number,
            identifier=assoc.identifier,
        )
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def _edge_destination(
    edge: EdgeData, links: dict[str, dict[str, str]], document_id: str
) -> tuple[dict[str, str], dict[str, Any] | None]:
    inside = links.get(edge.target)
    if inside is not None and edge.kind != "exact_match":
        return inside, None
    if inside is not None and edge.target_id in (None, inside["identifier"]):
        return inside, None
    ident = edge.target_id or _derived_id(document_id, "crosswalk", edge.target)
    destination = {"title": edge.target, "identifier": ident, "uri": edge.target_uri or _urn(ident)}
    extensions = None
    if edge.target_document_id or edge.target_document_uri:
        doc = {"title": edge.target_document_id or "", "identifier": edge.target_document_id or ""}
        doc["uri"] = edge.target_document_uri or _urn(edge.target_document_id or "")
        extensions = {DESTINATION_DOCUMENT_EXTENSION: doc}
    return destination, extensions


def _end(
    code: str | None,
    identifier: str,
    uri: str | None,
    title: str | None,
    links: dict[str, dict[str, str]],
    doc_link: dict[str, str],
) -> dict[str, str]:
    if code is not None and code in links:
        return links[code]
    if identifier == doc_link["identifier"]:
        return doc_link
    return {"title": title or identifier, "identifier": identifier, "uri": uri or _urn(identifier)}


def edge_key(edge: EdgeData) -> tuple[str, str, str]:
    return (edge.source, edge.target, edge.kind)


_COMPARED = ("title", "description", "grade", "parent_code", "domain", "cluster")


def _changed(old: SkillData, new: SkillData) -> bool:
    """A skill gaining a CASE identifier it never had (our own, exported and sent back) is the
    same skill; one whose identifier is replaced is not."""
    if old.source_id is not None and old.source_id != new.source_id:
        return True
    return any(getattr(new, f) != getattr(old, f) for f in _COMPARED)


@dataclass
class FrameworkDiff:
    skills_added: list[str] = field(default_factory=list)
    skills_changed: list[str] = field(default_factory=list)
    skills_removed: list[str] = field(default_factory=list)
    edges_added: list[tuple[str, str, str]] = field(default_factory=list)
    edges_removed: list[tuple[str, str, str]] = field(default_factory=list)
    associations_before: int = 0
    associations_after: int = 0
    associations_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.skills_added
            or self.skills_changed
            or self.skills_removed
            or self.edges_added
            or self.edges_removed
            or self.associations_changed
        )

    def as_dict(self) -> dict[str, Any]:
        def edges(keys: list[tuple[str, str, str]]) -> list[dict[str, str]]:
            return [{"source": s, "target": t, "kind": k} for s, t, k in keys]

        return {
            "skills_added": self.skills_added,
            "skills_changed": self.skills_changed,
            "skills_removed": self.skills_removed,
            "edges_added": edges(self.edges_added),
            "edges_removed": edges(self.edges_removed),
            "associations": {"before": self.associations_before, "after": self.associations_after},
        }


def _edge_facts(edge: EdgeData) -> tuple[Any, ...]:
    return (edge.target_id, edge.target_uri, edge.target_document_id, edge.target_document_uri)


def _association_facts(a: AssociationData) -> tuple[Any, ...]:
    return (
        a.kind,
        a.origin_id,
        a.destination_id,
        a.origin_code,
        a.destination_code,
        a.origin_uri,
        a.destination_uri,
        a.destination_title,
        a.identifier,
        a.sequence_number,
    )


def diff_frameworks(before: FrameworkData, after: FrameworkData) -> FrameworkDiff:
    """Skills by code (changed: any of the compared fields), edges by (source, target, kind); a
    crosswalk whose target identifiers changed counts as removed and added."""
    old: dict[str, SkillData] = {s.code: s for s in before.skills}
    new: dict[str, SkillData] = {s.code: s for s in after.skills}
    diff = FrameworkDiff(
        skills_added=sorted(new.keys() - old.keys()),
        skills_removed=sorted(old.keys() - new.keys()),
        skills_changed=sorted(c for c in new.keys() & old.keys() if _changed(old[c], new[c])),
    )
    old_edges = {edge_key(e): _edge_facts(e) for e in before.edges}
    new_edges = {edge_key(e): _edge_facts(e) for e in after.edges}
    diff.edges_added = sorted(k for k, v in new_edges.items() if old_edges.get(k) != v)
    diff.edges_removed = sorted(k for k, v in old_edges.items() if new_edges.get(k) != v)
    diff.associations_before = len(before.associations)
    diff.associations_after = len(after.associations)
    facts_before = sorted(map(_association_facts, before.associations), key=repr)
    facts_after = sorted(map(_association_facts, after.associations), key=repr)
    diff.associations_changed = facts_before != facts_after
    return diff
