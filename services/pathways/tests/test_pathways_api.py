"""Pathways through the API, with the real profiles and assessment apps in process.

Profiles is seeded with its demo district (learners, profiles, goals); assessment runs on its own
empty database, so mastery arrives here only through ``mastery.changed`` events posted to
``/internal/events``, the way the gateway fans them out.
"""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest

from pathwise_assessment.app import create_app as create_assessment
from pathwise_assessment.migrations import MIGRATIONS as ASSESSMENT_MIGRATIONS
from pathwise_assessment.settings import AssessmentSettings
from pathwise_devstack import testing
from pathwise_devstack.testing import (
    ServiceClient,
    create_test_database,
    drop_test_database,
    make_principal,
    service_client,
)
from pathwise_pathways.app import create_app
from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.seed import seed_demo
from pathwise_pathways.settings import PathwaysSettings
from pathwise_profiles.app import create_app as create_profiles
from pathwise_profiles.migrations import MIGRATIONS as PROFILES_MIGRATIONS
from pathwise_profiles.seed import seed_demo as seed_profiles
from pathwise_profiles.settings import ProfilesSettings
from pathwise_shared.demo import demo_id
from pathwise_shared.ids import new_id

DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-02")


@pytest.fixture(scope="module")
def databases(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, testing.TestDatabase]]:
    directory = tmp_path_factory.mktemp("pathways-live")
    dbs = {n: create_test_database(n, directory) for n in ("profiles", "assessment", "pathways")}
    yield dbs
    for db in dbs.values():
        drop_test_database(db)


@pytest.fixture(scope="module")
async def live(databases: dict[str, testing.TestDatabase]) -> AsyncIterator[ServiceClient]:
    async with AsyncExitStack() as stack:
        profiles = await stack.enter_async_context(
            service_client(
                create_profiles,
                ProfilesSettings(
                    database_url=databases["profiles"].url, environment="test", outbox_relay=False
                ),
                PROFILES_MIGRATIONS,
            )
        )
        await seed_profiles(databases["profiles"].url)
        assessment = await stack.enter_async_context(
            service_client(
                lambda s: create_assessment(s, upstream_clients={"profiles": profiles}),
                AssessmentSettings(
                    database_url=databases["assessment"].url,
                    environment="test",
                    outbox_relay=False,
                ),
                ASSESSMENT_MIGRATIONS,
            )
        )
        settings = PathwaysSettings(
            database_url=databases["pathways"].url, environment="test", outbox_relay=False
        )
        client = await stack.enter_async_context(
            service_client(
                lambda s: create_app(
                    s, upstream_clients={"profiles": profiles, "assessment": assessment}
                ),
                settings,
                MIGRATIONS,
            )
        )
        await seed_demo(databases["pathways"].url)
        yield client


def teacher() -> Any:
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))


def system() -> Any:
    return make_principal(DISTRICT, kind="system", subject="system:gateway-events")


def _event(
    code: str, mastered: bool, p_known: float, learner: uuid.UUID = LEARNER
) -> dict[str, Any]:
    return {
        "id": str(new_id()),
        "type": "mastery.changed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "district_id": str(DISTRICT),
        "subject": f"learner/{learner}",
        "data": {
            "learner_id": str(learner),
            "skill_code": code,
            "p_known": p_known,
            "mastered": mastered,
            "previous_mastered": not mastered,
            "level": "mastered" if mastered else "developing",
        },
        "version": 1,
    }


async def test_plan_from_profile_goals_with_choice_boards(live: ServiceClient) -> None:
    response = await live.post(
        f"/v1/learners/{LEARNER}/pathway", json={}, headers=live.as_(teacher())
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "active" and body["version"] == 1
    goal_codes = {g["skill_code"] for g in body["goals"]}
    assert goal_codes >= {"3.NF.A.1", "3.NF.A.2"}
    steps = body["steps"]
    codes = [s["skill_code"] for s in steps]
    assert {"3.NF.A.1", "3.NF.A.2"} <= set(codes)
    assert codes.index("3.NF.A.1") < codes.index("3.NF.A.3") if "3.NF.A.3" in codes else True
    ready = [s for s in steps if s["status"] == "ready"]
    assert ready and ready[0]["position"] == 0
    board = ready[0]["board"]
    assert 1 <= len(board) <= 5
    assert all(entry["reasons"] for entry in board)
    assert board == sorted(board, key=lambda e: -e["score"])
    assert body["pace"] and {p["status"] for p in body["pace"]} <= {"on_track", "at_risk", "done"}
    assert all(p["reason"] for p in body["pace"])


async def test_choice_must_come_from_the_board(live: ServiceClient) -> None:
    body = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    step = next(s for s in body["steps"] if s["status"] == "ready")
    learner = make_principal(DISTRICT, roles=["student"], user_id=LEARNER)
    off_board = await live.post(
        f"/v1/learners/{LEARNER}/pathway/steps/{step['id']}/choice",
        json={"activity_id": str(uuid.uuid4())},
        headers=live.as_(learner),
    )
    assert off_board.status_code == 422
    assert off_board.json()["type"] == "/problems/activity-not-on-board"
    pick = step["board"][-1]["activity_id"]
    chosen = await live.post(
        f"/v1/learners/{LEARNER}/pathway/steps/{step['id']}/choice",
        json={"activity_id": pick},
        headers=live.as_(learner),
    )
    assert chosen.status_code == 200
    mine = next(s for s in chosen.json()["steps"] if s["id"] == step["id"])
    assert mine["chosen_activity_id"] == pick
    # A teacher locks another choice; the learner can no longer change it.
    other = step["board"][0]["activity_id"]
    locked = await live.post(
        f"/v1/learners/{LEARNER}/pathway/overrides",
        json={
            "action": "lock",
            "step_id": step["id"],
            "activity_id": other,
            "reason": "small group",
        },
        headers=live.as_(teacher()),
    )
    assert locked.status_code == 200
    refused = await live.post(
        f"/v1/learners/{LEARNER}/pathway/steps/{step['id']}/choice",
        json={"activity_id": pick},
        headers=live.as_(learner),
    )
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/choice-locked"
    by_student = await live.post(
        f"/v1/learners/{LEARNER}/pathway/overrides",
        json={"action": "unlock", "step_id": step["id"], "reason": "mine"},
        headers=live.as_(learner),
    )
    assert by_student.status_code == 403


async def test_mastery_event_advances_dedupes_and_reopens(live: ServiceClient) -> None:
    before = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    first = next(s for s in before["steps"] if s["status"] == "ready")
    event = _event(first["skill_code"], True, 0.96)
    applied = await live.post("/internal/events", json=event, headers=live.as_(system()))
    assert applied.status_code == 200 and applied.json() == {"status": "advanced"}
    again = await live.post("/internal/events", json=event, headers=live.as_(system()))
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    after = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    step = next(s for s in after["steps"] if s["skill_code"] == first["skill_code"])
    assert step["status"] == "mastered" and step["mastered_at"]
    assert after["version"] == before["version"] + 1
    dependents_ready = [
        s
        for s in after["steps"]
        if s["status"] == "ready" and s["skill_code"] != first["skill_code"]
    ]
    assert dependents_ready
    lost = await live.post(
        "/internal/events",
        json=_event(first["skill_code"], False, 0.4),
        headers=live.as_(system()),
    )
    assert lost.json() == {"status": "reopened"}
    reopened = (
        await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))
    ).json()
    step = next(s for s in reopened["steps"] if s["skill_code"] == first["skill_code"])
    assert step["status"] == "ready" and step["mastered_at"] is None
    versions = await live.get(
        f"/v1/learners/{LEARNER}/pathway/versions?limit=2", headers=live.as_(teacher())
    )
    page = versions.json()
    assert [v["change"] for v in page["items"]] == ["reopened", "advanced"]
    assert page["items"][0]["actor"] == "system:pathways-advance"
    assert first["skill_code"] in page["items"][0]["reason"]
    assert page["next_cursor"]
    rest = await live.get(
        f"/v1/learners/{LEARNER}/pathway/versions?cursor={page['next_cursor']}",
        headers=live.as_(teacher()),
    )
    assert rest.json()["items"][-1]["change"] == "planned"
    not_system = await live.post(
        "/internal/events", json=_event("3.NF.A.1", True, 0.9), headers=live.as_(teacher())
    )
    assert not_system.status_code == 403
    malformed = await live.post(
        "/internal/events", json={"id": "x", "type": "mastery.changed"}, headers=live.as_(system())
    )
    assert malformed.status_code == 422
    stranger = await live.post(
        "/internal/events",
        json=_event("3.NF.A.1", True, 0.9, learner=uuid.uuid4()),
        headers=live.as_(system()),
    )
    assert stranger.json() == {"status": "no pathway"}


async def test_overrides_reorder_skip_insert_and_approval(live: ServiceClient) -> None:
    learner = demo_id("learner", "learner-12")
    planned = await live.post(
        f"/v1/learners/{learner}/pathway",
        json={
            "goals": [{"skill_code": "4.NF.A.2", "target_date": "2027-01-31"}],
            "requires_approval": True,
        },
        headers=live.as_(teacher()),
    )
    assert planned.status_code == 201, planned.text
    body = planned.json()
    assert body["status"] == "draft"
    steps = [s for s in body["steps"] if s["status"] in {"ready", "locked"}]
    assert len(steps) >= 2
    by_code = {s["skill_code"]: s for s in steps}
    # Putting a goal before its prerequisite is refused, naming both.
    backwards = [
        by_code["4.NF.A.2"]["id"],
        *[s["id"] for s in steps if s["skill_code"] != "4.NF.A.2"],
    ]
    refused = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "reorder", "order": backwards, "reason": "try"},
        headers=live.as_(teacher()),
    )
    assert refused.status_code == 409 and refused.json()["skill_code"] == "4.NF.A.2"
    skip = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "skip", "step_id": steps[0]["id"], "reason": "shown in class"},
        headers=live.as_(teacher()),
    )
    assert skip.status_code == 200
    skipped = next(s for s in skip.json()["steps"] if s["id"] == steps[0]["id"])
    assert skipped["status"] == "skipped"
    inserted = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "insert", "skill_code": "4.MD.A.1", "reason": "measurement review"},
        headers=live.as_(teacher()),
    )
    assert inserted.status_code == 200
    assert any(s["skill_code"] == "4.MD.A.1" and s["inserted"] for s in inserted.json()["steps"])
    unknown = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "insert", "skill_code": "4.ZZ.A.1", "reason": "x"},
        headers=live.as_(teacher()),
    )
    assert unknown.status_code == 422
    approved = await live.post(
        f"/v1/learners/{learner}/pathway/approve", headers=live.as_(teacher())
    )
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    twice = await live.post(f"/v1/learners/{learner}/pathway/approve", headers=live.as_(teacher()))
    assert twice.status_code == 409
    history = await live.get(
        f"/v1/learners/{learner}/pathway/versions", headers=live.as_(teacher())
    )
    changes = [v["change"] for v in history.json()["items"]]
    assert changes == ["approved", "insert", "skip", "planned"]
    assert history.json()["items"][2]["reason"] == "shown in class"


async def test_plan_bad_input(live: ServiceClient) -> None:
    unknown = await live.post(
        f"/v1/learners/{LEARNER}/pathway",
        json={"goals": [{"skill_code": "3.XX.A.9"}]},
        headers=live.as_(teacher()),
    )
    assert unknown.status_code == 422 and unknown.json()["codes"] == ["3.XX.A.9"]
    elsewhere = make_principal(uuid.uuid4(), roles=["teacher"])
    other_district = await live.post(
        f"/v1/learners/{LEARNER}/pathway", json={}, headers=live.as_(elsewhere)
    )
    assert other_district.status_code == 404
    hidden = await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(elsewhere))
    assert hidden.status_code == 404
    extra = await live.post(
        f"/v1/learners/{LEARNER}/pathway", json={"goalz": []}, headers=live.as_(teacher())
    )
    assert extra.status_code == 422
    guardian = make_principal(DISTRICT, roles=["guardian"])
    forbidden = await live.post(
        f"/v1/learners/{LEARNER}/pathway", json={}, headers=live.as_(guardian)
    )
    assert forbidden.status_code == 403
