"""CASE 1.0/1.1 packages of real shapes (``fixtures/case``), the export, the diff, and the CSV
importer of a district's own standards: the pure parts, no database."""

from datetime import UTC, datetime
from typing import Any

import pytest

from pathwise_pathways.domain.case_export import case_package, diff_frameworks
from pathwise_pathways.domain.framework_csv import parse_framework_csv
from pathwise_pathways.domain.frameworks import FrameworkData, parse_case_package
from services.pathways.tests.case_fixtures import PLACEHOLDER_1, PLACEHOLDER_2, load, revised


def content(data: FrameworkData) -> tuple[Any, ...]:
    """What a framework is made of, identifiers aside (a district's own skills get them on
    export)."""
    return (
        sorted((s.code, s.title, s.description, s.grade, s.parent_code) for s in data.skills),
        sorted((e.source, e.target, e.kind, e.target_id, e.target_uri) for e in data.edges),
        sorted(
            (a.kind, a.origin_code, a.origin_id, a.destination_code, a.destination_id)
            for a in data.associations
        ),
    )


def test_a_full_case_1_0_package_is_read_whole() -> None:
    data = parse_case_package(load("case-1.0-package.json"))
    by_code = {s.code: s for s in data.skills}
    assert set(by_code) == {"LV.K.CC", "LV.K.CC.1", "LV.K.CC.2", "LV.1.OA.6", "LV.K.CC.1.L2"}
    assert by_code["LV.K.CC.1"].parent_code == "LV.K.CC"
    assert by_code["LV.1.OA.6"].parent_code is None and by_code["LV.1.OA.6"].grade == "01"
    assert by_code["LV.K.CC.2"].title == "Count on from a given number"
    uri = "https://case.example.org/uri/c5fb10a2-d7cb-11e8-824f-0242ac160002"
    assert by_code["LV.K.CC.1"].source_uri == uri
    assert data.subject == "Mathematics"
    assert data.changed_at == datetime(2023, 5, 10, 14, 22, 9, tzinfo=UTC)
    edges = {(e.source, e.target, e.kind) for e in data.edges}
    assert ("LV.K.CC.1", "LV.K.CC.2", "prerequisite") in edges
    assert ("LV.K.CC.2", "LV.1.OA.6", "prerequisite") in edges
    assert ("LV.K.CC.2", "LV.1.OA.6", "related") in edges
    # Two crosswalks with the same placeholder title stay two, each with its own target.
    placeholders = [e for e in data.edges if e.target_title == "Destination"]
    assert sorted(e.target_id or "" for e in placeholders) == [PLACEHOLDER_1, PLACEHOLDER_2]
    assert all(e.target_uri and e.target_uri.endswith(e.target_id or "") for e in placeholders)
    # Every other type is kept, typed; nothing is dropped without a word.
    kinds = sorted(a.kind for a in data.associations)
    assert kinds == [
        "exemplar",
        "hasSkillLevel",
        "isPartOf",
        "isPeerOf",
        "isRelatedTo",
        "replacedBy",
    ]
    exemplar = next(a for a in data.associations if a.kind == "exemplar")
    assert exemplar.origin_code == "LV.K.CC.1" and exemplar.destination_code is None
    assert exemplar.destination_uri == "https://education.example.org/exemplars/hundred-chart"
    assert data.unmatched == []
    report = data.report()
    assert report["associations"] == {k: 1 for k in kinds}
    assert report["ignored"] == {
        "CFDefinitions.CFConcepts": 1,
        "CFDefinitions.CFSubjects": 1,
        "CFDefinitions.CFLicenses": 1,
        "CFDefinitions.CFItemTypes": 2,
        "CFDefinitions.CFAssociationGroupings": 1,
        "CFRubrics": 1,
    }
    assert report["document"]["license"]["title"] == "Attribution 4.0 International"
    assert report["document"]["version"] == "2023"


def test_a_case_1_1_package_wrapped_in_cfpackage_is_read() -> None:
    data = parse_case_package(load("case-1.1-package.json"))
    assert data.source_id == "9b0c7e52-4a1f-4c3e-9a61-2f7d8e1b0c11"
    assert data.document["caseVersion"] == "1.1"
    assert {a.kind for a in data.associations} == {"isTranslationOf", "ext:alignsToAssessment"}
    crosswalk = next(e for e in data.edges if e.kind == "exact_match")
    assert crosswalk.target_id == "c5fb10a2-d7cb-11e8-824f-0242ac160002"
    assert crosswalk.target_document_id == "c5fb0812-d7cb-11e8-824f-0242ac160002"
    assert data.ignored == {"CFDefinitions.CFItemTypes": 1, "extensions": 1}


def test_unknown_association_types_and_bad_dates_are_named() -> None:
    package = load("case-1.0-package.json")
    package["CFAssociations"].append(
        {
            "associationType": "isCousinOf",
            "originNodeURI": {"identifier": "c5fb10a2-d7cb-11e8-824f-0242ac160002"},
            "destinationNodeURI": {"identifier": "c5fb10a3-d7cb-11e8-824f-0242ac160002"},
        }
    )
    data = parse_case_package(package)
    assert [(u.relationship, u.reason) for u in data.unmatched] == [
        ("isCousinOf", "unknown association type 'isCousinOf'")
    ]
    package["CFDocument"]["lastChangeDateTime"] = "last Tuesday"
    with pytest.raises(ValueError, match="lastChangeDateTime"):
        parse_case_package(package)
    with pytest.raises(ValueError, match="CFDefinitions"):
        parse_case_package({**load("case-1.0-package.json"), "CFDefinitions": []})


@pytest.mark.parametrize("name", ["case-1.0-package.json", "case-1.1-package.json"])
def test_export_reads_back_to_the_same_framework(name: str) -> None:
    first = parse_case_package(load(name))
    assert first.source_id and first.changed_at
    exported = case_package(first, first.source_id, first.changed_at)
    assert exported["CFDocument"]["caseVersion"] == "1.1"
    again = parse_case_package(exported)
    assert content(again) == content(first)
    assert again.source_id == first.source_id and again.changed_at == first.changed_at
    assert sorted(s.source_id or "" for s in again.skills) == sorted(
        s.source_id or "" for s in first.skills
    )
    assert again.unmatched == [] and again.notes == []


def test_prerequisites_are_exported_as_precedes() -> None:
    data = parse_case_package(load("case-1.0-package.json"))
    exported = case_package(data, "doc", datetime(2024, 1, 1, tzinfo=UTC))
    precedes = {
        (a["originNodeURI"]["title"], a["destinationNodeURI"]["title"])
        for a in exported["CFAssociations"]
        if a["associationType"] == "precedes"
    }
    assert precedes == {("LV.K.CC.1", "LV.K.CC.2"), ("LV.K.CC.2", "LV.1.OA.6")}
    assert exported["CFDocument"]["lastChangeDateTime"] == "2024-01-01T00:00:00Z"


def test_the_diff_of_two_versions() -> None:
    before = parse_case_package(load("case-1.0-package.json"))
    after = parse_case_package(revised(load("case-1.0-package.json")))
    diff = diff_frameworks(before, after)
    assert diff.skills_added == ["LV.K.CC.3"]
    assert diff.skills_removed == ["LV.1.OA.6"]
    assert diff.skills_changed == ["LV.K.CC.1"]
    assert diff.edges_added == [("LV.K.CC.2", "LV.K.CC.3", "prerequisite")]
    assert ("LV.K.CC.2", "LV.1.OA.6", "prerequisite") in diff.edges_removed
    assert ("LV.K.CC.2", "LV.1.OA.6", "related") in diff.edges_removed
    assert (diff.associations_before, diff.associations_after) == (6, 5)
    assert diff_frameworks(before, before).empty


CSV = (
    "\ufeffCode,Title,Parent,Prerequisites,Grade,Description,Notes\r\n"
    "RSD.N,Number sense,,,,,top\r\n"
    "RSD.N.1,Count to 20,RSD.N,,K,,\r\n"
    'RSD.N.2,Add within 10,RSD.N,RSD.N.1,1,"Add, then check",\r\n'
    "RSD.N.3,Add within 20,RSD.N, RSD.N.1 ; RSD.N.2 ,1,,\r\n"
)


def test_csv_framework_rows_become_skills_and_prerequisites() -> None:
    parsed = parse_framework_csv(CSV, key="rsd", title="Riverside", subject="math")
    assert parsed.errors == []
    data = parsed.data
    by_code = {s.code: s for s in data.skills}
    assert list(by_code) == ["RSD.N", "RSD.N.1", "RSD.N.2", "RSD.N.3"]
    assert by_code["RSD.N.2"].parent_code == "RSD.N" and by_code["RSD.N.2"].grade == "1"
    assert by_code["RSD.N.2"].description == "Add, then check"
    assert by_code["RSD.N.1"].description == "Count to 20"
    assert {(e.source, e.target) for e in data.edges} == {
        ("RSD.N.1", "RSD.N.2"),
        ("RSD.N.1", "RSD.N.3"),
        ("RSD.N.2", "RSD.N.3"),
    }
    assert data.notes == ["columns ignored: notes"]


def test_csv_row_errors_name_line_and_field() -> None:
    text = (
        "code,title,parent,prerequisites\n"
        "A,Alpha,,\n"
        "A,Again,,\n"
        "B c,Bad code,,\n"
        ",No code,,\n"
        "C,,Z,\n"
        "D,Delta,,A;Q;D\n"
        '"E","multi\nline title",,\n'
        "F,Foxtrot,,G\n"
        "G,Golf,,F\n"
    )
    errors = {
        (e.line, e.field, e.message)
        for e in parse_framework_csv(text, key="k", title="t", subject="math").errors
    }
    assert (3, "code", "A is also on line 2") in errors
    assert (4, "code", "'B c': only letters, digits, '.', '_' and '-'") in errors
    assert (5, "code", "code is required") in errors
    assert (6, "title", "title is required") in errors
    assert (7, "prerequisites", "no row has code Q") in errors
    assert (7, "prerequisites", "D cannot be its own prerequisite") in errors
    assert (10, "prerequisites", "the prerequisites loop: F → G → F") in errors or (
        10,
        "prerequisites",
        "the prerequisites loop: G → F → G",
    ) in errors
    # The quoted title spans lines 8-9: the next row is line 10, and E itself is fine.
    assert not any(line in (8, 9) for line, _, _ in errors)
    missing = parse_framework_csv("code,name\nA,x\n", key="k", title="t", subject="math")
    assert [(e.line, e.field) for e in missing.errors] == [(1, "title")]
    loop = parse_framework_csv("code,title,parent\nA,a,B\nB,b,A\n", key="k", title="t", subject="m")
    assert (2, "parent", "the parents loop: A → B → A") in {
        (e.line, e.field, e.message) for e in loop.errors
    }
