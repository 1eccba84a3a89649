"""The CCSS and CASE importers and the graph, on the real data and small hand-made packages."""

from typing import Any

import pytest

from pathwise_pathways.domain.ccssm_data import load_ccssm, read_ccssm_file
from pathwise_pathways.domain.frameworks import normalize_ccss_code, parse_case_package, parse_ccssm
from pathwise_pathways.domain.graph import CycleError, build_graph


def test_high_school_codes_are_normalized() -> None:
    assert normalize_ccss_code("HSN.RN.B.3") == "HS.N.RN.B.3"
    assert normalize_ccss_code(" HSA.REI.B.4.a ") == "HS.A.REI.B.4.a"
    assert normalize_ccss_code("3.NF.A.1") == "3.NF.A.1"
    assert normalize_ccss_code("HS.N.RN.B.3") == "HS.N.RN.B.3"


def test_ccssm_import_counts_and_spelling() -> None:
    data = load_ccssm()
    codes = {s.code for s in data.skills}
    assert len(codes) == len(data.skills) == 471
    assert {"K.CC.A.1", "3.NF.A.1", "HS.N.RN.B.3", "K.CC.B.4.a", "5.NF.B.4.a"} <= codes
    assert not any(c.startswith("HSN") for c in codes)
    kinds = {e.kind for e in data.edges}
    assert kinds == {"prerequisite", "related"}
    assert sum(e.kind == "prerequisite" for e in data.edges) == 729
    assert sum(e.kind == "related" for e in data.edges) == 144
    # A conceptual connection from the file is kept apart from the prerequisites.
    assert ("K.CC.A.1", "K.CC.A.2", "related") in {(e.source, e.target, e.kind) for e in data.edges}
    assert ("K.CC.A.1", "K.CC.A.2", "prerequisite") not in {
        (e.source, e.target, e.kind) for e in data.edges
    }
    sub = next(s for s in data.skills if s.code == "3.NF.A.2.a")
    assert sub.parent_code == "3.NF.A.2" and sub.grade == "3"


def test_ccssm_unmatched_edges_are_exactly_the_named_set() -> None:
    """After normalizing HSN.RN.B.3 → HS.N.RN.B.3 every edge of the file matches a standard."""
    data = load_ccssm()
    assert [(u.source, u.target) for u in data.unmatched] == []
    assert data.report()["unmatched_edges"] == []


def test_unmatched_edges_are_reported_with_a_reason() -> None:
    deps = read_ccssm_file("ccssm-dependencies.csv") + (
        "3.NF.A.1,3.NF.Z.9,dependency\nHSN.RN.B.3,HS.N.RN.B.3,dependency\n"
        "3.NF.A.1,3.NF.A.2,sometimes\n"
    )
    data = parse_ccssm(read_ccssm_file("ccssm-k8.csv"), read_ccssm_file("ccssm-hs.csv"), deps)
    report = {(u.source, u.target): u.reason for u in data.unmatched}
    assert report == {
        ("3.NF.A.1", "3.NF.Z.9"): "no such standard: 3.NF.Z.9",
        ("HS.N.RN.B.3", "HS.N.RN.B.3"): "a skill cannot depend on itself",
        ("3.NF.A.1", "3.NF.A.2"): "unknown relationship 'sometimes'",
    }


def test_real_ccss_prerequisites_form_a_dag() -> None:
    data = load_ccssm()
    graph = build_graph(
        [s.code for s in data.skills],
        [(e.source, e.target) for e in data.edges if e.kind == "prerequisite"],
    )
    assert len(graph) == 471
    assert "3.NF.A.1" in graph.prerequisites_of("3.NF.A.3")
    for node, prereqs in enumerate(graph.prereqs):
        assert all(graph.rank[p] < graph.rank[node] for p in prereqs)


def test_a_cycle_is_refused_and_named() -> None:
    with pytest.raises(CycleError) as info:
        build_graph(["A", "B", "C", "D"], [("A", "B"), ("B", "C"), ("C", "A"), ("C", "D")])
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"A", "B", "C"}
    assert "→" in str(info.value)


def test_case_package_maps_hierarchy_prerequisites_and_crosswalks(
    case_package: dict[str, Any],
) -> None:
    data = parse_case_package(case_package)
    by_code = {s.code: s for s in data.skills}
    assert set(by_code) == {"RNS", "RNS.1", "RNS.2"}
    assert by_code["RNS.1"].parent_code == "RNS" and by_code["RNS"].parent_code is None
    assert by_code["RNS.1"].grade == "KG"
    edges = {(e.source, e.target, e.kind) for e in data.edges}
    assert edges == {("RNS.1", "RNS.2", "prerequisite"), ("RNS.2", "K.OA.A.5", "exact_match")}
    assert [(u.source, u.target, u.reason) for u in data.unmatched] == [
        ("RNS.2", "gone", "item not in package")
    ]


def test_case_package_without_document_is_refused() -> None:
    with pytest.raises(ValueError, match="CFDocument"):
        parse_case_package({"CFItems": []})
