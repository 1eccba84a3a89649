"""Class tools through the API: grouping, one-call assignment, insights; real apps in process.

The grade 3 class of the demo district (teacher-01, learner-01 … learner-10) gets pathways
planned here; skill checks are taken in the real assessment app, so the mastery bands and the
flags come from scored answers, not from numbers written by the test.
"""

import uuid
from datetime import date, timedelta
from typing import Any, Protocol

import pytest

from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.testing import ServiceClient, counted_statements, make_principal
from pathwise_pathways.domain.insights import NO_PROGRESS_ANSWERS
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id


class LiveApps(Protocol):
    """conftest's ``live_apps``: the in-process apps this module talks to."""

    assessment: ServiceClient
    pathways: ServiceClient


DISTRICT = demo_id("district", "riverside")
GRADE3 = demo_id("class", "grade3-math")
GRADE3_LEARNERS = [demo_id("learner", f"learner-{n:02d}") for n in range(1, 11)]
# learner-10 gets no pathway in this module: insights must say so.
PLANNED = GRADE3_LEARNERS[:9]
STRONG = demo_id("learner", "learner-03")
WEAK = demo_id("learner", "learner-04")
LARGE_PRINT = demo_id("learner", "learner-09")  # accommodation: large print
RUSHED = demo_id("learner", "learner-07")


def teacher() -> Principal:
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))


def admin() -> Principal:
    return make_principal(DISTRICT, roles=["district_admin"])


def as_learner(learner: uuid.UUID) -> Principal:
    return make_principal(DISTRICT, roles=["student"], user_id=learner)


def answer(spec: dict[str, Any], right: bool) -> dict[str, Any]:
    """The answer a learner who knows (or does not know) the skill gives to a demo item."""
    kind = spec["type"]
    if kind == "single_choice":
        wrong = next(c["id"] for c in spec["choices"] if c["id"] != spec["correct"])
        return {"choice": spec["correct"] if right else wrong}
    if kind == "numeric":
        value = spec["value"] if right else spec["value"] + 7
        return {"value": value, "unit": spec["unit"]} if spec.get("unit") else {"value": value}
    if kind == "short_text":
        return {"text": spec["accepted"][0] if right else "no idea"}
    if kind == "multiple_select":
        wrong = [c["id"] for c in spec["choices"] if c["id"] not in spec["correct"]][:1]
        return {"choices": spec["correct"] if right else wrong}
    if kind == "ordering":
        return {"order": spec["order"] if right else list(reversed(spec["order"]))}
    raise AssertionError(f"no demo answer for {kind}")


async def take_check(
    assessment: ServiceClient, learner: uuid.UUID, code: str, right: bool
) -> dict[str, Any]:
    headers = assessment.as_(as_learner(learner))
    started = await assessment.post(
        f"/v1/assessments/{check_id(code)}/attempts",
        json={"learner_id": str(learner)},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    keys = {item_id(code, n): raw["spec"] for n, raw in enumerate(DEMO_ITEMS[code], start=1)}
    for shown in attempt["items"]:
        spec = keys[uuid.UUID(shown["item_id"])]
        put = await assessment.put(
            f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
            json={"answer": answer(spec, right)},
            headers=headers,
        )
        assert put.status_code == 200, put.text
    finished = await assessment.post(f"/v1/attempts/{attempt['id']}/finish", headers=headers)
    assert finished.status_code == 200, finished.text
    body: dict[str, Any] = finished.json()
    return body


@pytest.fixture(scope="module")
async def planned(live_apps: LiveApps) -> dict[uuid.UUID, dict[str, Any]]:
    """Checks first (so plans see the evidence), then a pathway for nine of the ten learners."""
    for _ in range(2):
        await take_check(live_apps.assessment, STRONG, "3.NF.A.1", right=True)
    # Checks of three items, all wrong, until the stall is long enough for ``no_progress``.
    for _ in range(-(-NO_PROGRESS_ANSWERS // 3)):
        await take_check(live_apps.assessment, WEAK, "3.NF.A.1", right=False)
    pathways = live_apps.pathways
    plans = {}
    soon = (date.today() + timedelta(days=1)).isoformat()
    for learner in PLANNED:
        body: dict[str, Any] = {"reason": "class tools test"}
        if learner == RUSHED:
            body["goals"] = [{"skill_code": "3.NF.A.3", "target_date": soon}]
        made = await pathways.post(
            f"/v1/learners/{learner}/pathway", json=body, headers=pathways.as_(teacher())
        )
        assert made.status_code == 201, made.text
        plans[learner] = made.json()
    return plans


def _next_skill(plan: dict[str, Any]) -> str | None:
    return next((s["skill_code"] for s in plan["steps"] if s["status"] == "ready"), None)


async def test_group_by_next_skill_covers_the_class_within_sizes(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    made = await live.post(
        f"/v1/classes/{GRADE3}/groups",
        json={"strategy": "next_skill", "min_size": 2, "max_size": 4},
        headers=live.as_(teacher()),
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["class_id"] == str(GRADE3) and body["strategy"] == "next_skill"
    assert body["created_by"] == teacher().subject
    groups = body["groups"]
    members = [lid for g in groups for lid in g["learner_ids"]]
    assert sorted(members) == sorted(str(lid) for lid in GRADE3_LEARNERS)
    assert all(2 <= len(g["learner_ids"]) <= 4 for g in groups)
    assert [g["index"] for g in groups] == list(range(len(groups)))
    # Each group names exactly the next skills its members need; no pathway means nothing next.
    expected = {str(lid): _next_skill(plan) for lid, plan in planned.items()}
    expected[str(GRADE3_LEARNERS[9])] = None
    for group in groups:
        needed = {expected[lid] for lid in group["learner_ids"]} - {None}
        assert set(group["skill_codes"]) == needed


async def test_group_by_mastery_band_follows_scored_checks(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    made = await live.post(
        f"/v1/classes/{GRADE3}/groups",
        json={
            "strategy": "mastery_band",
            "min_size": 1,
            "max_size": 10,
            "skill_codes": ["3.NF.A.1"],
        },
        headers=live.as_(teacher()),
    )
    assert made.status_code == 201, made.text
    band = {lid: g["label"] for g in made.json()["groups"] for lid in g["learner_ids"]}
    assert len(band) == 10
    assert band[str(STRONG)] == "secure"
    assert band[str(WEAK)] == "emerging"
    # The others have no evidence on this skill yet and start in the lowest band.
    assert band[str(GRADE3_LEARNERS[0])] == "emerging"


async def test_one_call_assigns_an_activity_per_group_and_locks_it(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    grouping = (
        await live.post(
            f"/v1/classes/{GRADE3}/groups",
            json={"strategy": "next_skill", "min_size": 1, "max_size": 10},
            headers=live.as_(teacher()),
        )
    ).json()
    target = next(g for g in grouping["groups"] if str(LARGE_PRINT) in g["learner_ids"])
    assert target["skill_codes"], "learner-09 has a next skill"
    # A plain activity without large print: assigned anyway, and insights will say so.
    created = await live.post(
        "/v1/activities",
        json={
            "title": "Fraction strips on the table",
            "format": "hands_on",
            "difficulty": 2,
            "minutes": 25,
            "skill_codes": target["skill_codes"],
        },
        headers=live.as_(admin()),
    )
    assert created.status_code == 201, created.text
    activity = created.json()["id"]
    url = f"/v1/classes/{GRADE3}/groups/{grouping['id']}/assignments"
    done = await live.post(
        url,
        json={"assignments": [{"group_index": target["index"], "activity_id": activity}]},
        headers=live.as_(teacher()),
    )
    assert done.status_code == 200, done.text
    assert done.json() == {
        "grouping_id": grouping["id"],
        "assigned": len(target["learner_ids"]),
        "pathways_updated": len(target["learner_ids"]),
    }
    pathway = (
        await live.get(f"/v1/learners/{LARGE_PRINT}/pathway", headers=live.as_(teacher()))
    ).json()
    step = next(s for s in pathway["steps"] if s["skill_code"] in target["skill_codes"])
    assert step["chosen_activity_id"] == activity and step["choice_locked"]
    assert activity in {e["activity_id"] for e in step["board"]}
    versions = (
        await live.get(f"/v1/learners/{LARGE_PRINT}/pathway/versions", headers=live.as_(teacher()))
    ).json()["items"]
    assert versions[0]["change"] == "assigned" and target["label"] in versions[0]["reason"]
    # The learner cannot swap a teacher's assignment.
    other = next(e["activity_id"] for e in step["board"] if e["activity_id"] != activity)
    swap = await live.post(
        f"/v1/learners/{LARGE_PRINT}/pathway/steps/{step['id']}/choice",
        json={"activity_id": other},
        headers=live.as_(as_learner(LARGE_PRINT)),
    )
    assert swap.status_code == 409
    # Assigning the group again replaces the assignment instead of failing on the first one.
    again = await live.post(
        url,
        json={"assignments": [{"group_index": target["index"], "activity_id": activity}]},
        headers=live.as_(teacher()),
    )
    assert again.status_code == 200 and again.json()["assigned"] == len(target["learner_ids"])

    insights = await live.get(f"/v1/classes/{GRADE3}/insights", headers=live.as_(teacher()))
    flags = {row["learner_id"]: row["flags"] for row in insights.json()["learners"]}
    missing = [f for f in flags[str(LARGE_PRINT)] if f["code"] == "accommodation_not_applied"]
    assert missing and "large_print" in missing[0]["detail"]


async def test_insights_flag_learners_with_reason_codes(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    answer_ = await live.get(f"/v1/classes/{GRADE3}/insights", headers=live.as_(teacher()))
    assert answer_.status_code == 200, answer_.text
    body = answer_.json()
    assert body["class_id"] == str(GRADE3)
    rows = {row["learner_id"]: row for row in body["learners"]}
    assert set(rows) == {str(lid) for lid in GRADE3_LEARNERS}
    assert all(row["display_name"] for row in rows.values())

    def codes(learner: uuid.UUID) -> list[str]:
        return [f["code"] for f in rows[str(learner)]["flags"]]

    assert codes(GRADE3_LEARNERS[9]) == ["no_pathway"]
    assert "no_progress" in codes(WEAK)
    stalled = next(f for f in rows[str(WEAK)]["flags"] if f["code"] == "no_progress")
    assert "3.NF.A.1" in stalled["detail"]
    assert stalled["numbers"]["answers"] >= NO_PROGRESS_ANSWERS
    assert stalled["numbers"]["skill_code"] == "3.NF.A.1"
    assert not stalled["dismissed"]
    # A goal due tomorrow, but no practice history yet: nobody is behind on day one.
    assert "behind_pace" not in codes(RUSHED)
    assert codes(STRONG) == []
    assert all(f["detail"] for row in rows.values() for f in row["flags"])


async def test_grouping_and_assignment_bad_input(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    url = f"/v1/classes/{GRADE3}/groups"
    headers = live.as_(teacher())
    bad_bodies = [
        {"min_size": 5, "max_size": 2},
        {"min_size": 0},
        {"max_size": 101},
        {"strategy": "alphabetical"},
        {"min_size": "x"},
        {"colour": "red"},
        {"strategy": "mastery_band", "skill_codes": ["3.NF.A.1", "9.ZZ.Z.9"]},
    ]
    for body in bad_bodies:
        refused = await live.post(url, json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    unknown_code = await live.post(
        url, json={"strategy": "mastery_band", "skill_codes": ["9.ZZ.Z.9"]}, headers=headers
    )
    assert unknown_code.json()["codes"] == ["9.ZZ.Z.9"]
    not_json = await live.post(
        url, content=b"{", headers={**headers, "content-type": "application/json"}
    )
    assert not_json.status_code == 400
    bad_id = await live.post("/v1/classes/not-a-uuid/groups", json={}, headers=headers)
    assert bad_id.status_code == 422
    nowhere = await live.post(f"/v1/classes/{uuid.uuid4()}/groups", json={}, headers=headers)
    assert nowhere.status_code == 404
    elsewhere = make_principal(uuid.uuid4(), roles=["teacher"])
    for method, path in (("POST", url), ("GET", f"/v1/classes/{GRADE3}/insights")):
        hidden = await live.request(
            method, path, json={} if method == "POST" else None, headers=live.as_(elsewhere)
        )
        assert hidden.status_code == 404, hidden.text
        student = await live.request(
            method,
            path,
            json={} if method == "POST" else None,
            headers=live.as_(as_learner(STRONG)),
        )
        assert student.status_code == 403

    grouping = (await live.post(url, json={"min_size": 1}, headers=headers)).json()
    assign = f"{url}/{grouping['id']}/assignments"
    activity = (await live.get("/v1/activities?limit=1", headers=headers)).json()["items"][0]["id"]
    before = (await live.get(f"/v1/learners/{STRONG}/pathway", headers=headers)).json()
    cases = [
        ({"assignments": []}, 422, "https://pathwise.dev/problems/validation-error"),
        ({"assignments": [{"group_index": 99, "activity_id": activity}]}, 422,
         "https://pathwise.dev/problems/group-not-found"),
        ({"assignments": [{"group_index": 0, "activity_id": str(uuid.uuid4())}]}, 422,
         "https://pathwise.dev/problems/unknown-activity"),
        ({"assignments": [{"group_index": 0, "activity_id": activity},
                          {"group_index": 0, "activity_id": activity}]}, 422,
         "https://pathwise.dev/problems/duplicate-group"),
        ({"assignments": [{"group_index": -1, "activity_id": activity}]}, 422,
         "https://pathwise.dev/problems/validation-error"),
    ]  # fmt: skip
    for body, status, kind in cases:
        refused = await live.post(assign, json=body, headers=headers)
        assert (refused.status_code, refused.json()["type"]) == (status, kind), refused.text
    good = {"assignments": [{"group_index": 0, "activity_id": activity}]}
    missing = await live.post(f"{url}/{uuid.uuid4()}/assignments", json=good, headers=headers)
    assert missing.status_code == 404
    # A grouping is found only under its own class, and only in the caller's district.
    other_class = demo_id("class", "grade4-math")
    wrong_class = await live.post(
        f"/v1/classes/{other_class}/groups/{grouping['id']}/assignments",
        json=good,
        headers=headers,
    )
    assert wrong_class.status_code == 404
    other_district = await live.post(assign, json=good, headers=live.as_(elsewhere))
    assert other_district.status_code == 404
    # Nothing was half-written by the refused calls.
    after = (await live.get(f"/v1/learners/{STRONG}/pathway", headers=headers)).json()
    assert after["version"] == before["version"]


async def test_current_grouping_is_the_latest_with_its_assignments(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    url = f"/v1/classes/{GRADE3}/groups"
    headers = live.as_(teacher())
    made = (await live.post(url, json={"min_size": 1, "max_size": 10}, headers=headers)).json()
    activity = (await live.get("/v1/activities?limit=1", headers=headers)).json()["items"][0]
    assigned = await live.post(
        f"{url}/{made['id']}/assignments",
        json={"assignments": [{"group_index": 0, "activity_id": activity["id"]}]},
        headers=headers,
    )
    assert assigned.status_code == 200, assigned.text

    current = await live.get(url, headers=headers)
    assert current.status_code == 200, current.text
    body = current.json()
    assert body["id"] == made["id"] and body["strategy"] == made["strategy"]
    assert [g["learner_ids"] for g in body["groups"]] == [g["learner_ids"] for g in made["groups"]]
    assert body["groups"][0]["activity"] == {"id": activity["id"], "title": activity["title"]}
    assert all(g["activity"] is None for g in body["groups"][1:])
    # An admin of the district reads it too.
    assert (await live.get(url, headers=live.as_(admin()))).json()["id"] == made["id"]

    # A newer grouping replaces it as the current one, with nothing assigned yet.
    newer = (
        await live.post(url, json={"strategy": "mastery_band", "min_size": 1}, headers=headers)
    ).json()
    again = (await live.get(url, headers=headers)).json()
    assert again["id"] == newer["id"] and again["strategy"] == "mastery_band"
    assert all(g["activity"] is None for g in again["groups"])


async def test_current_grouping_bad_input_and_other_district(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    headers = live.as_(teacher())
    made = await live.post(f"/v1/classes/{GRADE3}/groups", json={"min_size": 1}, headers=headers)
    assert made.status_code == 201, made.text
    never = await live.get(f"/v1/classes/{demo_id('class', 'grade4-math')}/groups", headers=headers)
    assert never.status_code == 404
    assert never.headers["content-type"] == "application/problem+json"
    assert never.json()["type"].endswith("/class-not-grouped")
    bad_id = await live.get("/v1/classes/not-a-uuid/groups", headers=headers)
    assert bad_id.status_code == 422
    assert bad_id.headers["content-type"] == "application/problem+json"
    url = f"/v1/classes/{GRADE3}/groups"
    elsewhere = make_principal(uuid.uuid4(), roles=["teacher"])
    hidden = await live.get(url, headers=live.as_(elsewhere))
    assert hidden.status_code == 404 and hidden.json()["type"].endswith("/class-not-grouped")
    student = await live.get(url, headers=live.as_(as_learner(STRONG)))
    assert student.status_code == 403
    assert student.headers["content-type"] == "application/problem+json"


async def test_class_and_pathway_reads_send_few_statements_whatever_the_class_size(
    live: ServiceClient, planned: dict[uuid.UUID, dict[str, Any]]
) -> None:
    """The reads behind the learner overview and the class dashboard: the pathway, then its steps
    with their chosen activities; every learner's the same way for the insights (no statement
    per learner); the latest grouping and its activities."""
    headers = live.as_(teacher())
    made = await live.post(
        f"/v1/classes/{GRADE3}/groups",
        json={"strategy": "next_skill", "min_size": 1, "max_size": 10},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    # A chosen activity on a step, so the reads must bring activities too (in the same statements).
    group = next(g for g in made.json()["groups"] if str(STRONG) in g["learner_ids"])
    created = await live.post(
        "/v1/activities",
        json={"title": "Counted strips", "format": "hands_on", "difficulty": 2, "minutes": 20,
              "skill_codes": group["skill_codes"]},
        headers=live.as_(admin()),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assigned = await live.post(
        f"/v1/classes/{GRADE3}/groups/{made.json()['id']}/assignments",
        json={
            "assignments": [{"group_index": group["index"], "activity_id": created.json()["id"]}]
        },
        headers=headers,
    )
    assert assigned.status_code == 200 and assigned.json()["pathways_updated"] >= 1, assigned.text
    # The flags are stored: a read that finds them as computed adds one statement (reading
    # them), none per learner; the first read after the assignment may store a change. The
    # district graph's version check is one more (the prerequisites of each current skill).
    assert (await live.get(f"/v1/classes/{GRADE3}/insights", headers=headers)).status_code == 200
    reads = [
        (f"/v1/learners/{STRONG}/pathway", 2),
        (f"/v1/classes/{GRADE3}/insights", 4),
        (f"/v1/classes/{GRADE3}/groups", 2),
    ]
    for url, most in reads:
        with counted_statements(live) as statements:
            response = await live.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        assert len(statements) <= most, (url, statements)
    steps = (await live.get(f"/v1/learners/{STRONG}/pathway", headers=headers)).json()["steps"]
    assert steps and [s["position"] for s in steps] == sorted(s["position"] for s in steps)
    assert any(s["chosen_activity_id"] == created.json()["id"] for s in steps)
