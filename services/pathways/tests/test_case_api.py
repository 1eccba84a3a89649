"""CASE packages of real shapes through the app: import, crosswalks, re-import by document and
date, export and round trip; and a district's own framework from a CSV file."""

import copy
import uuid
from typing import Any

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.auth import Principal
from services.pathways.tests.case_fixtures import PLACEHOLDER_1, PLACEHOLDER_2, load, revised

IMPORT = "/v1/frameworks/imports/case"
CSV_IMPORT = "/v1/frameworks/imports/csv"


def new_admin() -> Principal:
    """A district of its own, so the tests of this module never see each other's frameworks."""
    return make_principal(uuid.uuid4(), roles=["district_admin"])


async def skill(client: ServiceClient, who: Principal, code: str, fid: str) -> dict[str, Any]:
    response = await client.get(f"/v1/skills/{code}?framework_id={fid}", headers=client.as_(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_full_package_imports_with_crosswalks_and_typed_associations(
    client: ServiceClient,
) -> None:
    admin = new_admin()
    response = await client.post(
        IMPORT, json=load("case-1.0-package.json"), headers=client.as_(admin)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "created" and body["diff"] is None
    report = body["import_report"]
    assert report["skills"] == 5 and report["unmatched_edges"] == []
    assert report["associations"]["exemplar"] == 1 and report["associations"]["isRelatedTo"] == 1
    assert report["ignored"]["CFRubrics"] == 1
    assert report["ignored"]["CFDefinitions.CFItemTypes"] == 2
    # The placeholder titles resolve to nothing: the targets are kept by identifier and URI.
    # 1.OA.C.6 names a shared Common Core skill: that crosswalk resolves to it.
    assert report["crosswalks"] == {"resolved": 1, "by_identifier_only": 2}
    counting = await skill(client, admin, "LV.K.CC.1", body["id"])
    assert counting["exact_matches"] == sorted([PLACEHOLDER_1, PLACEHOLDER_2])
    assert "Destination" not in counting["exact_matches"]
    target = next(c for c in counting["crosswalks"] if c["identifier"] == PLACEHOLDER_1)
    assert target["uri"] == f"https://case.example.org/uri/{PLACEHOLDER_1}"
    assert target["framework_id"] is None
    adding = await skill(client, admin, "LV.1.OA.6", body["id"])
    assert adding["exact_matches"] == ["1.OA.C.6"]
    listing = await client.get("/v1/frameworks", headers=client.as_(admin))
    ccss = next(f for f in listing.json()["items"] if f["key"] == "ccssm")
    assert adding["crosswalks"][0]["framework_id"] == ccss["id"]
    assert adding["related"] == ["LV.K.CC.2"] and adding["prerequisites"] == ["LV.K.CC.2"]
    # A 1.1 package whose crosswalk names an item of the first framework by identifier only.
    second = await client.post(
        IMPORT, json=load("case-1.1-package.json"), headers=client.as_(admin)
    )
    assert second.status_code == 201, second.text
    assert second.json()["import_report"]["associations"] == {
        "isTranslationOf": 1,
        "ext:alignsToAssessment": 1,
    }
    harbor = await skill(client, admin, "HC.N.1", second.json()["id"])
    assert harbor["exact_matches"] == ["LV.K.CC.1"]
    assert harbor["crosswalks"][0] == {
        "code": "LV.K.CC.1",
        "framework_id": body["id"],
        "identifier": "c5fb10a2-d7cb-11e8-824f-0242ac160002",
        "uri": "https://case.example.org/uri/c5fb10a2-d7cb-11e8-824f-0242ac160002",
        "document_identifier": "c5fb0812-d7cb-11e8-824f-0242ac160002",
        "document_uri": "https://case.example.org/uri/c5fb0812-d7cb-11e8-824f-0242ac160002",
    }


async def test_reimport_by_document_and_date(client: ServiceClient, teacher: Principal) -> None:
    admin = new_admin()
    package = load("case-1.0-package.json")
    created = await client.post(IMPORT, json=package, headers=client.as_(admin))
    assert created.status_code == 201
    fid, version = created.json()["id"], created.json()["version"]
    same = await client.post(IMPORT, json=package, headers=client.as_(admin))
    assert same.status_code == 200, same.text
    assert same.json()["outcome"] == "unchanged" and same.json()["version"] == version
    newer = await client.post(IMPORT, json=revised(package), headers=client.as_(admin))
    assert newer.status_code == 200, newer.text
    body = newer.json()
    assert body["id"] == fid and body["outcome"] == "updated" and body["version"] == version + 1
    diff = body["diff"]
    assert diff["skills_added"] == ["LV.K.CC.3"]
    assert diff["skills_removed"] == ["LV.1.OA.6"]
    assert diff["skills_changed"] == ["LV.K.CC.1"]
    assert {"source": "LV.K.CC.2", "target": "LV.K.CC.3", "kind": "prerequisite"} in diff[
        "edges_added"
    ]
    assert {"source": "LV.K.CC.2", "target": "LV.1.OA.6", "kind": "prerequisite"} in diff[
        "edges_removed"
    ]
    assert body["import_report"]["diff"] == diff
    counting = await skill(client, admin, "LV.K.CC.1", fid)
    assert counting["description"] == "Count to 120 by ones and by tens."
    assert (await skill(client, admin, "LV.K.CC.3", fid))["prerequisites"] == ["LV.K.CC.2"]
    gone = await client.get(f"/v1/skills/LV.1.OA.6?framework_id={fid}", headers=client.as_(admin))
    assert gone.status_code == 404
    older = await client.post(IMPORT, json=package, headers=client.as_(admin))
    assert older.status_code == 409
    problem = older.json()
    assert problem["type"] == "https://pathwise.dev/problems/framework-outdated"
    assert problem["received"].startswith("2023-05-10") and problem["current"].startswith("2024-06")
    undated = copy.deepcopy(revised(package))
    del undated["CFDocument"]["lastChangeDateTime"]
    refused = await client.post(IMPORT, json=undated, headers=client.as_(admin))
    assert refused.status_code == 422 and "lastChangeDateTime" in refused.json()["detail"]
    # The update is admin work, as the first import.
    staff = make_principal(admin.district_id, roles=["teacher"])
    assert (await client.post(IMPORT, json=package, headers=client.as_(staff))).status_code == 403


async def test_export_round_trips(client: ServiceClient) -> None:
    admin = new_admin()
    imported = await client.post(
        IMPORT, json=load("case-1.0-package.json"), headers=client.as_(admin)
    )
    fid = imported.json()["id"]
    exported = await client.get(f"/v1/frameworks/{fid}/case", headers=client.as_(admin))
    assert exported.status_code == 200, exported.text
    package = exported.json()
    assert package["CFDocument"]["identifier"] == "c5fb0812-d7cb-11e8-824f-0242ac160002"
    assert package["CFDocument"]["lastChangeDateTime"] == "2023-05-10T14:22:09Z"
    assert {a["associationType"] for a in package["CFAssociations"]} >= {
        "isChildOf",
        "precedes",
        "exactMatchOf",
        "isRelatedTo",
        "exemplar",
    }
    # The same district: the same document at the same date changes nothing.
    same = await client.post(IMPORT, json=package, headers=client.as_(admin))
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged", same.text
    # Another district: the same framework.
    other = new_admin()
    copied = await client.post(IMPORT, json=package, headers=client.as_(other))
    assert copied.status_code == 201, copied.text
    again = await client.get(
        f"/v1/frameworks/{copied.json()['id']}/case", headers=client.as_(other)
    )
    assert again.json() == package
    for code in ("LV.K.CC.1", "LV.1.OA.6"):
        first = await skill(client, admin, code, fid)
        second = await skill(client, other, code, copied.json()["id"])
        for field in ("title", "description", "grade", "parent_code", "prerequisites", "related"):
            assert first[field] == second[field], field
        assert first["exact_matches"] == second["exact_matches"]


async def test_a_csv_framework_exports_and_round_trips(client: ServiceClient) -> None:
    admin = new_admin()
    created = await client.post(
        CSV_IMPORT,
        data={"key": "rsd-math", "title": "Riverside math"},
        files={"file": ("standards.csv", b"code,title,prerequisites\nR.1,One,\nR.2,Two,R.1\n")},
        headers=client.as_(admin),
    )
    assert created.status_code == 201, created.text
    fid = created.json()["id"]
    package = (await client.get(f"/v1/frameworks/{fid}/case", headers=client.as_(admin))).json()
    assert package["CFDocument"]["identifier"] == fid
    precedes = [a for a in package["CFAssociations"] if a["associationType"] == "precedes"]
    assert [(a["originNodeURI"]["title"], a["destinationNodeURI"]["title"]) for a in precedes] == [
        ("R.1", "R.2")
    ]
    # Exported, edited elsewhere and sent back newer: the same framework is updated.
    package["CFDocument"]["lastChangeDateTime"] = "2999-01-01T00:00:00Z"
    package["CFItems"][0]["abbreviatedStatement"] = "One, revised"
    back = await client.post(IMPORT, json=package, headers=client.as_(admin))
    assert back.status_code == 200, back.text
    assert back.json()["id"] == fid and back.json()["diff"]["skills_changed"] == ["R.1"]


async def test_csv_import_errors_dry_run_and_rights(client: ServiceClient) -> None:
    admin = new_admin()
    good = b"code,title,parent,prerequisites,grade\nM.1,Count,,,K\nM.2,Add,M.1,M.1,1\n"
    dry = await client.post(
        CSV_IMPORT,
        data={"key": "m", "title": "Mine", "dry_run": "true"},
        files={"file": ("m.csv", good)},
        headers=client.as_(admin),
    )
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] and dry.json()["report"]["skills"] == 2
    assert dry.json()["row_errors"] == [] and dry.json()["error_count"] == 0
    listing = await client.get("/v1/frameworks", headers=client.as_(admin))
    assert "m" not in {f["key"] for f in listing.json()["items"]}
    bad = b"code,title,prerequisites\nM.1,Count,\nM.1,Again,\nM.3,,M.9\n"
    planned = await client.post(
        CSV_IMPORT,
        data={"key": "m", "title": "Mine", "dry_run": "true"},
        files={"file": ("m.csv", bad)},
        headers=client.as_(admin),
    )
    assert planned.status_code == 200 and planned.json()["error_count"] == 2
    refused = await client.post(
        CSV_IMPORT,
        data={"key": "m", "title": "Mine"},
        files={"file": ("m.csv", bad)},
        headers=client.as_(admin),
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "https://pathwise.dev/problems/invalid-framework-csv"
    assert problem["row_errors"] == [
        {"line": 3, "field": "code", "message": "M.1 is also on line 2"},
        {"line": 4, "field": "title", "message": "title is required"},
    ]
    created = await client.post(
        CSV_IMPORT,
        data={"key": "m", "title": "Mine"},
        files={"file": ("m.csv", good)},
        headers=client.as_(admin),
    )
    assert created.status_code == 201 and created.json()["source"] == "csv"
    assert created.json()["owner"]["id"] == admin.subject
    step = await skill(client, admin, "M.2", created.json()["id"])
    assert step["prerequisites"] == ["M.1"] and step["parent_code"] == "M.1"
    twice = await client.post(
        CSV_IMPORT,
        data={"key": "m", "title": "Mine"},
        files={"file": ("m.csv", good)},
        headers=client.as_(admin),
    )
    assert (
        twice.status_code == 409
        and twice.json()["type"] == "https://pathwise.dev/problems/framework-exists"
    )
    latin = await client.post(
        CSV_IMPORT,
        data={"key": "l", "title": "Latin"},
        files={"file": ("l.csv", "code,title\nL.1,Señal\n".encode("latin-1"))},
        headers=client.as_(admin),
    )
    assert (
        latin.status_code == 422
        and latin.json()["type"] == "https://pathwise.dev/problems/invalid-framework-csv"
    )
    teacher = make_principal(admin.district_id, roles=["teacher"])
    forbidden = await client.post(
        CSV_IMPORT,
        data={"key": "t", "title": "T"},
        files={"file": ("t.csv", good)},
        headers=client.as_(teacher),
    )
    assert forbidden.status_code == 403
