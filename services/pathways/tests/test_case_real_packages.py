"""Real CASE packages, as OpenSALT exported them (``fixtures/case/real``, see its README), through
the import API: counts, hierarchy, crosswalk targets, typed associations, what is reported, and
what a re-import of the same document does."""

import json
import uuid
from pathlib import Path
from typing import Any

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.auth import Principal

IMPORT = "/v1/frameworks/imports/case"
REAL = Path(__file__).parent / "fixtures" / "case" / "real"
WHAT_STANDARDS = "opensalt-framework-20c5134f-423d-4097-a971-3dd5152bf507.json"


def _admin() -> Principal:
    return make_principal(uuid.uuid4(), roles=["district_admin"])


async def _send(client: ServiceClient, who: Principal, name: str) -> Any:
    """The file's bytes as they are (not re-serialised), so the JSON read is the exporter's."""
    headers = {**client.as_(who), "content-type": "application/json"}
    return await client.post(IMPORT, content=(REAL / name).read_bytes(), headers=headers)


async def _skill(client: ServiceClient, who: Principal, code: str, fid: str) -> dict[str, Any]:
    response = await client.get(f"/v1/skills/{code}?framework_id={fid}", headers=client.as_(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _package(name: str) -> dict[str, Any]:
    package: dict[str, Any] = json.loads((REAL / name).read_text(encoding="utf-8"))
    return package


async def test_opensalt_export_with_crosswalks_and_every_association_kind(
    client: ServiceClient,
) -> None:
    admin = _admin()
    response = await _send(client, admin, WHAT_STANDARDS)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "What Standards Could Be"
    assert body["key"] == "20c5134f-423d-4097-a971-3dd5152bf507"
    report = body["import_report"]
    # 16 items; 16 exactMatchOf to items of another framework, all titled "Destination";
    # 3 precedes, one of them to an item outside the package (not a prerequisite we can gate
    # on, so reported); 2 exemplar and 2 isRelatedTo kept as typed associations; CFItemTypes
    # accepted and counted.
    assert report["skills"] == 16
    assert report["edges"] == {"exact_match": 16, "prerequisite": 2}
    assert report["unmatched_edges"] == [
        {
            "source": "CCSS.Math.Content.6.RP.A.2",
            "target": "61a66013-f85c-59c7-bdba-a2c9030e1c21",
            "relationship": "precedes",
            "reason": "item not in package",
        }
    ]
    assert report["associations"] == {"exemplar": 2, "isRelatedTo": 2}
    assert report["ignored"] == {"CFDefinitions.CFItemTypes": 3}
    assert report["crosswalks"] == {"resolved": 0, "by_identifier_only": 16}
    assert report["document"]["creator"] == "Brandon Dorman"
    fid = body["id"]
    # The hierarchy (isChildOf): component → standard → cluster → the document.
    component = await _skill(client, admin, "CCSS.Math.Content.6.RP.A.3a", fid)
    assert component["parent_code"] == "CCSS.Math.Content.6.RP.A.3"
    standard = await _skill(client, admin, "CCSS.Math.Content.6.RP.A.3", fid)
    assert standard["parent_code"] == "CCSS.Math.Content.6.RP.A"
    cluster = await _skill(client, admin, "CCSS.Math.Content.6.RP.A", fid)
    assert cluster["parent_code"] is None
    # precedes inside the package: 6.RP.A.1 before 6.RP.A.2, 6.RP.A.3 before 7.RP.A.3
    assert (await _skill(client, admin, "CCSS.Math.Content.6.RP.A.2", fid))["prerequisites"] == [
        "CCSS.Math.Content.6.RP.A.1"
    ]
    assert (await _skill(client, admin, "CCSS.Math.Content.7.RP.A.3", fid))["prerequisites"] == [
        "CCSS.Math.Content.6.RP.A.3"
    ]
    # Crosswalk targets keep the identifier and URI the file gives, never the placeholder title.
    package = _package(WHAT_STANDARDS)
    items = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    expected = {
        items[a["originNodeURI"]["identifier"]]: a["destinationNodeURI"]
        for a in package["CFAssociations"]
        if a["associationType"] == "exactMatchOf"
    }
    assert len(expected) == 16
    assert {d["title"] for d in expected.values()} == {"Destination"}
    for code in ("CCSS.Math.Content.6.RP.A.1", "CCSS.Math.Content.7.RP.A.2d"):
        found = await _skill(client, admin, code, fid)
        target = expected[code]
        assert found["exact_matches"] == [target["identifier"]]
        assert found["crosswalks"] == [
            {
                "code": target["identifier"],
                "framework_id": None,
                "identifier": target["identifier"],
                "uri": target["uri"],
                "document_identifier": None,
                "document_uri": None,
            }
        ]
    # The same file again is the same version: nothing changes.
    again = await _send(client, admin, WHAT_STANDARDS)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "unchanged" and again.json()["version"] == 1


async def test_opensalt_export_round_trips_through_our_export(client: ServiceClient) -> None:
    admin = _admin()
    fid = (await _send(client, admin, WHAT_STANDARDS)).json()["id"]
    exported = (await client.get(f"/v1/frameworks/{fid}/case", headers=client.as_(admin))).json()
    original = _package(WHAT_STANDARDS)
    assert exported["CFDocument"]["identifier"] == original["CFDocument"]["identifier"]
    assert {i["identifier"] for i in exported["CFItems"]} == {
        i["identifier"] for i in original["CFItems"]
    }
    kinds: dict[str, int] = {}
    for association in exported["CFAssociations"]:
        kinds[association["associationType"]] = kinds.get(association["associationType"], 0) + 1
    # the precedes to an item outside the package was reported, not kept; the rest is all there
    assert kinds == {"isChildOf": 16, "exactMatchOf": 16, "precedes": 2, "exemplar": 2,
                     "isRelatedTo": 2}  # fmt: skip
    other = _admin()
    copied = await client.post(IMPORT, json=exported, headers=client.as_(other))
    assert copied.status_code == 201, copied.text
    assert copied.json()["import_report"]["crosswalks"] == {"resolved": 0, "by_identifier_only": 16}


async def test_opensalt_test_packages_hierarchy_and_unicode(client: ServiceClient) -> None:
    admin = _admin()
    smart = await _send(client, admin, "SmartLevelFramework.json")
    assert smart.status_code == 201, smart.text
    report = smart.json()["import_report"]
    # 14 items in two branches (Item 1 with ten children, Item 2 with two); its items carry no
    # humanCodingScheme, so each skill's code is its CASE identifier.
    assert report["skills"] == 14 and report["edges"] == {} and report["unmatched_edges"] == []
    fid = smart.json()["id"]
    package = _package("SmartLevelFramework.json")
    by_statement = {i["fullStatement"]: i["identifier"] for i in package["CFItems"]}
    child = await _skill(client, admin, by_statement["Item 1.10"], fid)
    assert child["parent_code"] == by_statement["Item 1"]
    top = await _skill(client, admin, by_statement["Item 2"], fid)
    assert top["parent_code"] is None
    # A package in another district keeps an astral-plane character (U+1D451) intact.
    other = _admin()
    utf8 = await _send(client, other, "Utf8TestFramework.json")
    assert utf8.status_code == 201, utf8.text
    assert utf8.json()["title"] == "UTF8 \U0001d451 Test"
    (item,) = _package("Utf8TestFramework.json")["CFItems"]
    stored = await _skill(client, other, item["identifier"], utf8.json()["id"])
    assert stored["description"] == item["fullStatement"]
    assert "\U0001d451" in item["fullStatement"]


async def test_one_identifier_and_date_with_other_content_is_refused(
    client: ServiceClient,
) -> None:
    """OpenSALT's test packages share the CFDocument identifier d0000000-… ; SmartLevel and Utf8
    also share the lastChangeDateTime. The second claims the version already imported while its
    content differs: refused with the diff, not answered "unchanged" while nothing was
    imported. A later date (SequenceNumber) is a new version of that document."""
    admin = _admin()
    assert (await _send(client, admin, "SmartLevelFramework.json")).status_code == 201
    clash = await _send(client, admin, "Utf8TestFramework.json")
    assert clash.status_code == 409, clash.text
    problem = clash.json()
    assert problem["type"] == "https://pathwise.dev/problems/framework-version-conflict"
    assert "same CFDocument identifier and lastChangeDateTime" in problem["detail"]
    assert len(problem["diff"]["skills_removed"]) == 13  # 14 items against Utf8's one
    assert len(problem["diff"]["skills_changed"]) == 1  # the identifier both use
    listed = await client.get("/v1/frameworks", headers=client.as_(admin))
    mine = [f for f in listed.json()["items"] if f["source"] == "case"]
    assert [(f["title"], f["version"]) for f in mine] == [("SmartLevel Test", 1)]
    newer = await _send(client, admin, "SequenceNumberFramework.json")
    assert newer.status_code == 200, newer.text
    assert newer.json()["outcome"] == "updated" and newer.json()["version"] == 2
    assert newer.json()["diff"]["skills_added"] == ["SNT.1", "SNT.2"]
    assert len(newer.json()["diff"]["skills_removed"]) == 14
