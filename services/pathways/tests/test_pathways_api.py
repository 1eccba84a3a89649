"""Pathways through the API, with the real profiles and assessment apps in process.

Profiles is seeded with its demo district (learners, profiles, goals); nobody takes a skill check
in this module, so mastery arrives here only through ``mastery.changed`` events posted to
``/internal/events``, the way the gateway fans them out (conftest's ``live``).
"""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.demo import demo_id
from pathwise_shared.ids import new_id

DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-02")


def teacher(username: str = "teacher-01") -> Any:
    # The learner's own teacher: pathways asks profiles what this caller may see of the learner,
    # which needs the real relation (teacher-01 teaches learners 1-10, teacher-02 11-20).
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", username))


def system() -> Any:
    return make_principal(DISTRICT, kind="system", subject="system:gateway-events")


def _event(
    code: str,
    mastered: bool,
    p_known: float,
    learner: uuid.UUID = LEARNER,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": str(new_id()),
        "type": "mastery.changed",
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
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
    assert off_board.json()["type"] == "https://pathwise.dev/problems/activity-not-on-board"
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
    assert (
        refused.status_code == 409
        and refused.json()["type"] == "https://pathwise.dev/problems/choice-locked"
    )
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


async def test_a_batch_of_events_applies_each_as_if_it_came_alone(live: ServiceClient) -> None:
    """The hub's ``POST /internal/events/batch``: each event gets the outcome the single route
    would have given it (advanced, duplicate, no pathway, a 422 for a malformed one, a 403 for
    another district's), and the one that advanced is kept although others in its batch failed."""
    before = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    first = next(s for s in before["steps"] if s["status"] == "ready")
    advance = _event(first["skill_code"], True, 0.96)
    malformed = _event(first["skill_code"], True, 0.96)
    del malformed["data"]["skill_code"]
    elsewhere = {**_event("3.NF.A.1", True, 0.9), "district_id": str(uuid.uuid4())}
    stranger = _event("3.NF.A.1", True, 0.9, learner=uuid.uuid4())
    batch = [advance, malformed, advance, elsewhere, stranger]
    answer = await live.post(
        "/internal/events/batch", json={"events": batch}, headers=live.as_(system())
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["id"] for r in results] == [e["id"] for e in batch]
    assert [(r["status"], r["outcome"]) for r in results] == [
        (200, "advanced"),
        (422, None),
        (200, "duplicate"),
        (403, None),
        (200, "no pathway"),
    ]
    assert results[1]["type"] == "https://pathwise.dev/problems/invalid-event"
    assert results[3]["type"] == "https://pathwise.dev/problems/district-mismatch"
    after = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    step = next(s for s in after["steps"] if s["skill_code"] == first["skill_code"])
    assert step["status"] == "mastered"
    assert after["version"] == before["version"] + 1
    # Only the system delivers; a batch is one to fifty events.
    refused = await live.post(
        "/internal/events/batch", json={"events": [stranger]}, headers=live.as_(teacher())
    )
    assert refused.status_code == 403
    too_many = [_event("3.NF.A.1", True, 0.9, learner=uuid.uuid4()) for _ in range(51)]
    for events in ([], too_many):
        oversized = await live.post(
            "/internal/events/batch", json={"events": events}, headers=live.as_(system())
        )
        assert oversized.status_code == 422, oversized.text
    # Back as the module found it: the step open again.
    undo = _event(first["skill_code"], False, 0.4)
    reopened = await live.post(
        "/internal/events/batch", json={"events": [undo]}, headers=live.as_(system())
    )
    assert reopened.json()["results"][0]["outcome"] == "reopened"


async def test_the_same_batch_twice_at_once_applies_each_event_once(live: ServiceClient) -> None:
    """A redelivery racing its first delivery (a timed-out attempt retried while the first still
    runs): one of the two applies the event, the other answers ``duplicate``; the pathway moves
    one version, not two."""
    before = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    first = next(s for s in before["steps"] if s["status"] == "ready")
    batch = {"events": [_event(first["skill_code"], True, 0.96)]}
    answers = await asyncio.gather(
        *(
            live.post("/internal/events/batch", json=batch, headers=live.as_(system()))
            for _ in range(2)
        )
    )
    outcomes = sorted(a.json()["results"][0]["outcome"] for a in answers)
    assert outcomes == ["advanced", "duplicate"], [a.text for a in answers]
    after = (await live.get(f"/v1/learners/{LEARNER}/pathway", headers=live.as_(teacher()))).json()
    assert after["version"] == before["version"] + 1
    undo = {"events": [_event(first["skill_code"], False, 0.4)]}
    reopened = await live.post("/internal/events/batch", json=undo, headers=live.as_(system()))
    assert reopened.json()["results"][0]["outcome"] == "reopened"


async def test_overrides_reorder_skip_insert_and_approval(live: ServiceClient) -> None:
    learner = demo_id("learner", "learner-12")
    planned = await live.post(
        f"/v1/learners/{learner}/pathway",
        json={
            "goals": [{"skill_code": "4.NF.A.2", "target_date": "2027-01-31"}],
            "requires_approval": True,
        },
        headers=live.as_(teacher("teacher-02")),
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
        headers=live.as_(teacher("teacher-02")),
    )
    assert refused.status_code == 409 and refused.json()["skill_code"] == "4.NF.A.2"
    skip = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "skip", "step_id": steps[0]["id"], "reason": "shown in class"},
        headers=live.as_(teacher("teacher-02")),
    )
    assert skip.status_code == 200
    skipped = next(s for s in skip.json()["steps"] if s["id"] == steps[0]["id"])
    assert skipped["status"] == "skipped"
    inserted = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "insert", "skill_code": "4.MD.A.1", "reason": "measurement review"},
        headers=live.as_(teacher("teacher-02")),
    )
    assert inserted.status_code == 200
    assert any(s["skill_code"] == "4.MD.A.1" and s["inserted"] for s in inserted.json()["steps"])
    unknown = await live.post(
        f"/v1/learners/{learner}/pathway/overrides",
        json={"action": "insert", "skill_code": "4.ZZ.A.1", "reason": "x"},
        headers=live.as_(teacher("teacher-02")),
    )
    assert unknown.status_code == 422
    approved = await live.post(
        f"/v1/learners/{learner}/pathway/approve", headers=live.as_(teacher("teacher-02"))
    )
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    twice = await live.post(
        f"/v1/learners/{learner}/pathway/approve", headers=live.as_(teacher("teacher-02"))
    )
    assert twice.status_code == 409
    history = await live.get(
        f"/v1/learners/{learner}/pathway/versions", headers=live.as_(teacher("teacher-02"))
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


async def test_pin_keeps_a_step_through_a_replan_and_unpin_releases_it(
    live: ServiceClient,
) -> None:
    learner = demo_id("learner", "learner-13")
    url = f"/v1/learners/{learner}/pathway"
    headers = live.as_(teacher("teacher-02"))

    async def plan(goal: str) -> dict[str, Any]:
        made = await live.post(url, json={"goals": [{"skill_code": goal}]}, headers=headers)
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        return body

    multiply = {s["skill_code"] for s in (await plan("4.NBT.B.5"))["steps"]}
    fractions = await plan("4.NF.A.2")
    keep = next(
        s
        for s in fractions["steps"]
        if s["status"] in {"ready", "locked"} and s["skill_code"] not in multiply | {"4.NF.A.2"}
    )
    pinned = await live.post(
        f"{url}/overrides",
        json={"action": "pin", "step_id": keep["id"], "reason": "keep practising fractions"},
        headers=headers,
    )
    assert pinned.status_code == 200, pinned.text
    assert next(s for s in pinned.json()["steps"] if s["id"] == keep["id"])["pinned"]
    # Back to the multiplication goal: the pinned step stays, the other fraction steps go.
    replanned = await plan("4.NBT.B.5")
    codes = {s["skill_code"]: s for s in replanned["steps"]}
    assert keep["skill_code"] in codes and codes[keep["skill_code"]]["pinned"]
    # What stays besides the new goal's route is the pinned step and what it needs, which the
    # fraction plan put before it; the fraction goal itself is gone.
    before_keep = {s["skill_code"] for s in fractions["steps"] if s["position"] <= keep["position"]}
    assert set(codes) <= multiply | before_keep
    assert "4.NF.A.2" not in codes
    unpinned = await live.post(
        f"{url}/overrides",
        json={"action": "unpin", "step_id": codes[keep["skill_code"]]["id"], "reason": "done"},
        headers=headers,
    )
    assert unpinned.status_code == 200
    assert keep["skill_code"] not in {s["skill_code"] for s in unpinned.json()["steps"]}
    history = (await live.get(f"{url}/versions?limit=3", headers=headers)).json()["items"]
    assert [v["change"] for v in history] == ["unpin", "replanned", "pin"]
    assert history[2]["reason"] == "keep practising fractions"
    no_step = await live.post(
        f"{url}/overrides", json={"action": "pin", "reason": "x"}, headers=headers
    )
    assert (
        no_step.status_code == 422
        and no_step.json()["type"] == "https://pathwise.dev/problems/step-id-required"
    )
    unknown = await live.post(
        f"{url}/overrides",
        json={"action": "pin", "step_id": str(uuid.uuid4()), "reason": "x"},
        headers=headers,
    )
    assert unknown.status_code == 404


async def test_concurrent_changes_of_one_pathway_conflict_cleanly(live: ServiceClient) -> None:
    learner = demo_id("learner", "learner-14")
    url = f"/v1/learners/{learner}/pathway"
    headers = live.as_(teacher("teacher-02"))
    first = await live.post(url, json={"reason": "first"}, headers=headers)
    assert first.status_code == 201, first.text
    answers = await asyncio.gather(
        *(live.post(url, json={"reason": f"replan {n}"}, headers=headers) for n in range(8))
    )
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code not in (201, 409)]
    for refused in (a for a in answers if a.status_code == 409):
        assert (
            refused.json()["type"] == "https://pathwise.dev/problems/pathway-changed-concurrently"
        )
    # Every accepted change is one version, numbered without gaps or repeats.
    history = (await live.get(f"{url}/versions?limit=50", headers=headers)).json()["items"]
    assert [v["version"] for v in history] == list(range(len(history), 0, -1))
    assert len(history) == 1 + statuses.count(201)
    final = (await live.get(url, headers=headers)).json()
    assert final["version"] == len(history)


async def test_a_late_older_mastery_event_is_stale(live: ServiceClient) -> None:
    learner = demo_id("learner", "learner-05")
    url = f"/v1/learners/{learner}/pathway"
    planned = await live.post(url, json={}, headers=live.as_(teacher()))
    assert planned.status_code == 201, planned.text
    code = next(s["skill_code"] for s in planned.json()["steps"] if s["status"] == "ready")
    earlier = datetime.now(UTC)
    later = earlier + timedelta(seconds=1)
    newer = _event(code, True, 0.95, learner=learner, occurred_at=later)
    older = _event(code, False, 0.55, learner=learner, occurred_at=earlier)
    applied = await live.post("/internal/events", json=newer, headers=live.as_(system()))
    assert applied.json() == {"status": "advanced"}
    late = await live.post("/internal/events", json=older, headers=live.as_(system()))
    assert late.status_code == 200 and late.json() == {"status": "stale"}
    after = (await live.get(url, headers=live.as_(teacher()))).json()
    assert next(s for s in after["steps"] if s["skill_code"] == code)["status"] == "mastered"
    # A replan keeps what was seen: the late event is still stale afterwards.
    await live.post(url, json={}, headers=live.as_(teacher()))
    again = await live.post(
        "/internal/events",
        json=_event(code, False, 0.5, learner=learner, occurred_at=earlier),
        headers=live.as_(system()),
    )
    assert again.json() == {"status": "stale"}
