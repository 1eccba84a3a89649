"""Frameworks, skills and code resolution through the real app and database."""

import uuid
from typing import Any

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.auth import Principal


async def test_shared_ccss_framework_is_listed(client: ServiceClient, teacher: Principal) -> None:
    response = await client.get("/v1/frameworks", headers=client.as_(teacher))
    assert response.status_code == 200
    ccss = [f for f in response.json()["items"] if f["key"] == "ccssm"]
    assert len(ccss) == 1 and ccss[0]["shared"] and ccss[0]["district_id"] is None
    assert ccss[0]["import_report"]["skills"] == 471
    assert ccss[0]["import_report"]["unmatched_edges"] == []


async def test_skill_by_code_has_its_edges(client: ServiceClient, student: Principal) -> None:
    response = await client.get("/v1/skills/3.NF.A.3", headers=client.as_(student))
    assert response.status_code == 200
    body = response.json()
    assert body["grade"] == "3"
    assert set(body["prerequisites"]) == {"3.NF.A.1", "3.NF.A.2"}
    hs = await client.get("/v1/skills/HS.N.RN.B.3", headers=client.as_(student))
    assert hs.status_code == 200
    related = await client.get("/v1/skills/K.CC.A.2", headers=client.as_(student))
    assert "K.CC.A.1" in related.json()["related"]
    assert "K.CC.A.1" not in related.json()["prerequisites"]


async def test_skill_list_pages_and_filters(client: ServiceClient, student: Principal) -> None:
    first = await client.get("/v1/skills?grade=3&limit=20", headers=client.as_(student))
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 20 and page["next_cursor"]
    second = await client.get(
        f"/v1/skills?grade=3&limit=20&cursor={page['next_cursor']}", headers=client.as_(student)
    )
    codes = {s["code"] for s in page["items"]} | {s["code"] for s in second.json()["items"]}
    assert len(codes) == 20 + len(second.json()["items"])
    assert all(c.startswith("3.") for c in codes)
    bad = await client.get("/v1/skills?cursor=@@@", headers=client.as_(student))
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


async def test_unknown_skill_is_404(client: ServiceClient, student: Principal) -> None:
    response = await client.get("/v1/skills/9.ZZ.Z.9", headers=client.as_(student))
    assert response.status_code == 404
    assert response.json()["type"] == "https://pathwise.dev/problems/skill-not-found"


async def test_resolve_known_and_unknown(client: ServiceClient, district: uuid.UUID) -> None:
    system = make_principal(district, kind="system", subject="system:assessment")
    response = await client.post(
        "/internal/skills/resolve",
        json={"codes": ["3.NF.A.1", "HS.N.RN.B.3", "HSN.RN.B.3", "9.ZZ.Z.9"]},
        headers=client.as_(system),
    )
    assert response.status_code == 200
    assert response.json() == {
        "known": ["3.NF.A.1", "HS.N.RN.B.3"],
        "unknown": ["HSN.RN.B.3", "9.ZZ.Z.9"],
    }
    bad = await client.post(
        "/internal/skills/resolve", json={"codes": "3.NF.A.1"}, headers=client.as_(system)
    )
    assert bad.status_code == 422
    anon = await client.post("/internal/skills/resolve", json={"codes": []})
    assert anon.status_code == 401


async def test_district_framework_edit_refuses_cycles(
    client: ServiceClient, admin: Principal, teacher: Principal
) -> None:
    created = await client.post(
        "/v1/frameworks",
        json={"key": "rsd-number", "title": "Riverside number sense"},
        headers=client.as_(admin),
    )
    assert created.status_code == 201
    fid = created.json()["id"]
    skills = await client.post(
        f"/v1/frameworks/{fid}/skills",
        json={"skills": [{"code": f"RSD.{n}", "title": f"Skill {n}"} for n in range(1, 4)]},
        headers=client.as_(admin),
    )
    assert skills.status_code == 200 and skills.json()["version"] == 2
    chain = await client.post(
        f"/v1/frameworks/{fid}/edges",
        json={
            "edges": [
                {"source": "RSD.1", "target": "RSD.2"},
                {"source": "RSD.2", "target": "RSD.3"},
            ]
        },
        headers=client.as_(admin),
    )
    assert chain.status_code == 200
    cycle = await client.post(
        f"/v1/frameworks/{fid}/edges",
        json={"edges": [{"source": "RSD.3", "target": "RSD.1"}]},
        headers=client.as_(admin),
    )
    assert cycle.status_code == 409
    problem = cycle.json()
    assert problem["type"] == "https://pathwise.dev/problems/prerequisite-cycle"
    assert set(problem["cycle"]) == {"RSD.1", "RSD.2", "RSD.3"}
    assert "RSD.1" in problem["detail"]
    unknown = await client.post(
        f"/v1/frameworks/{fid}/edges",
        json={"edges": [{"source": "RSD.1", "target": "RSD.99"}]},
        headers=client.as_(admin),
    )
    assert unknown.status_code == 422 and unknown.json()["codes"] == ["RSD.99"]
    by_teacher = await client.post(
        f"/v1/frameworks/{fid}/skills",
        json={"skills": [{"code": "RSD.9", "title": "x"}]},
        headers=client.as_(teacher),
    )
    assert by_teacher.status_code == 403
    # The new codes resolve for this district only.
    mine = await client.post(
        "/internal/skills/resolve", json={"codes": ["RSD.1"]}, headers=client.as_(admin)
    )
    assert mine.json()["known"] == ["RSD.1"]
    other = make_principal(uuid.uuid4(), roles=["district_admin"])
    theirs = await client.post(
        "/internal/skills/resolve", json={"codes": ["RSD.1"]}, headers=client.as_(other)
    )
    assert theirs.json()["unknown"] == ["RSD.1"]
    hidden = await client.get(f"/v1/frameworks/{fid}", headers=client.as_(other))
    assert hidden.status_code == 404


async def test_shared_framework_is_read_only(client: ServiceClient, admin: Principal) -> None:
    listing = await client.get("/v1/frameworks", headers=client.as_(admin))
    ccss = next(f for f in listing.json()["items"] if f["key"] == "ccssm")
    response = await client.post(
        f"/v1/frameworks/{ccss['id']}/edges",
        json={"edges": [{"source": "3.NF.A.3", "target": "3.NF.A.1"}]},
        headers=client.as_(admin),
    )
    assert response.status_code == 403
    assert response.json()["type"] == "https://pathwise.dev/problems/shared-framework-read-only"


async def test_case_import_creates_a_district_framework(
    client: ServiceClient, admin: Principal, case_package: dict[str, Any]
) -> None:
    package = case_package
    response = await client.post(
        "/v1/frameworks/imports/case", json={**package, "key": "rns"}, headers=client.as_(admin)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["source"] == "case" and not body["shared"]
    assert body["import_report"]["unmatched_edges"][0]["target"] == "gone"
    skill = await client.get(
        f"/v1/skills/RNS.2?framework_id={body['id']}", headers=client.as_(admin)
    )
    assert skill.json()["prerequisites"] == ["RNS.1"]
    assert skill.json()["exact_matches"] == ["K.OA.A.5"]
    # The same document again, without the date a re-import is judged by: refused, nothing changed.
    again = await client.post(
        "/v1/frameworks/imports/case", json={**package, "key": "rns"}, headers=client.as_(admin)
    )
    assert again.status_code == 422 and "lastChangeDateTime" in again.json()["detail"]
    # Another document under a key in use.
    other_doc = {**package, "CFDocument": {**package["CFDocument"], "identifier": "doc-2"}}
    taken = await client.post(
        "/v1/frameworks/imports/case", json={**other_doc, "key": "rns"}, headers=client.as_(admin)
    )
    assert (
        taken.status_code == 409
        and taken.json()["type"] == "https://pathwise.dev/problems/framework-exists"
    )
    cyclic = {**package, "CFDocument": {**package["CFDocument"], "identifier": "doc-3"}}
    cyclic["CFAssociations"] = [
        *package["CFAssociations"],
        {
            "associationType": "precedes",
            "originNodeURI": {"identifier": "i-2"},
            "destinationNodeURI": {"identifier": "i-1"},
        },
    ]
    refused = await client.post(
        "/v1/frameworks/imports/case", json={**cyclic, "key": "rns2"}, headers=client.as_(admin)
    )
    assert (
        refused.status_code == 409
        and refused.json()["type"] == "https://pathwise.dev/problems/prerequisite-cycle"
    )
    broken = await client.post(
        "/v1/frameworks/imports/case", json={"CFDocument": "x"}, headers=client.as_(admin)
    )
    assert broken.status_code == 422
