"""Mastery through the API: the evidence floor, lost after failures, skipped items of a finished
check, lost to time (reads and the decay sweep), per-skill thresholds, and the scheduled fit run
once. (With the default parameters an item of difficulty 0 has guess 0.2 and slip 0.1: five right
answers in a row reach the evidence floor, two wrong answers then lose mastery.)"""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pathwise_assessment.models import MasteryState, outbox
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_assessment.service.decay import run_decay_sweeps, sweep_decay
from pathwise_assessment.service.fits import run_scheduled_fits
from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT, as_learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.db import Database
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.timeutil import utcnow

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
ADMIN = make_principal(DEMO_DISTRICT, roles=["district_admin"])
GUARDIAN = make_principal(DEMO_DISTRICT, roles=["guardian"])
OUTSIDER = make_principal(OTHER_DISTRICT, roles=["district_admin"])
SCHOOL_ADMIN = make_principal(DEMO_DISTRICT, roles=["school_admin"])
READ_CLIENT = make_principal(
    DEMO_DISTRICT, kind="client", subject="client:reader", scopes=["assessment:read"]
)
WRITE_CLIENT = make_principal(
    DEMO_DISTRICT, kind="client", subject="client:writer", scopes=["assessment:write"]
)
# Ten options: the guess floor (1/10) is below the model's guess of every item here (0.2 at
# difficulty 0, 0.12 at 2), so these items move mastery as their difficulty alone says.
CHOICES = [{"id": k, "text": f"{n}/4"} for n, k in enumerate("abcdefghij", start=1)]


async def make_items(api: ServiceClient, code: str, n: int, difficulty: float = 0.0) -> list[str]:
    """``n`` single-choice items of ``difficulty`` (0: an average item, its guess the skill's)."""
    ids = []
    for k in range(n):
        made = await api.post(
            "/v1/items",
            headers=api.as_(TEACHER),
            json={
                "stem": f"Which fraction equals 1/2? ({k})",
                "skill_codes": [code],
                "difficulty": difficulty,
                "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
            },
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


async def make_check(api: ServiceClient, code: str, item_ids: list[str]) -> str:
    made = await api.post(
        "/v1/assessments",
        headers=api.as_(TEACHER),
        json={
            "kind": "summative",
            "title": "Fractions",
            "skill_codes": [code],
            "item_ids": item_ids,
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def take(
    api: ServiceClient,
    assessment_id: str,
    learner_id: uuid.UUID,
    choice: str,
    skip: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Answer every item of a fresh attempt (but ``skip``) with ``choice`` and finish it."""
    started = await api.post(
        f"/v1/assessments/{assessment_id}/attempts",
        headers=api.as_(TEACHER),
        json={"learner_id": str(learner_id)},
    )
    assert started.status_code == 201, started.text
    attempt = started.json()
    for item in attempt["items"]:
        if item["item_id"] in skip:
            continue
        put = await api.put(
            f"/v1/attempts/{attempt['id']}/responses/{item['item_id']}",
            json={"answer": {"choice": choice}},
            headers=api.as_(TEACHER),
        )
        assert put.status_code == 200, put.text
    finished = await api.post(f"/v1/attempts/{attempt['id']}/finish", headers=api.as_(TEACHER))
    assert finished.status_code == 200, finished.text
    body: dict[str, Any] = finished.json()
    return body


async def skill_state(api: ServiceClient, learner_id: uuid.UUID, code: str) -> dict[str, Any]:
    got = await api.get(f"/v1/learners/{learner_id}/mastery", headers=api.as_(TEACHER))
    assert got.status_code == 200, got.text
    found: dict[str, Any] = next(s for s in got.json()["skills"] if s["skill_code"] == code)
    return found


async def changes(api: ServiceClient, learner_id: uuid.UUID, code: str) -> list[dict[str, Any]]:
    """The ``mastery.changed`` events of one learner and skill, oldest first."""
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == "mastery.changed")
                .order_by(outbox.c.id)
            )
            return [
                r[0]["data"]
                for r in rows
                if r[0]["data"]["learner_id"] == str(learner_id)
                and r[0]["data"]["skill_code"] == code
            ]
    finally:
        await db.dispose()


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same state read twice a moment apart (reads decay P(known) to now: by less than 1e-6
    over a test's seconds, which may still move its sixth rounded decimal)."""
    return abs(a["p_known"] - b["p_known"]) < 1e-5 and {
        k: v for k, v in a.items() if k != "p_known"
    } == {k: v for k, v in b.items() if k != "p_known"}


async def test_mastery_is_lost_after_failures_and_says_so(api: ServiceClient) -> None:
    code, learner_id = "4.NF.A.1", uuid.uuid4()
    items = await make_items(api, code, 8)
    await take(api, await make_check(api, code, items[:4]), learner_id, "b")
    # Four right answers: P(known) is past the threshold, but the evidence floor is not reached.
    short = await skill_state(api, learner_id, code)
    assert short["p_known"] >= 0.95 and short["mastered"] is False
    assert short["level"] == "proficient"
    await take(api, await make_check(api, code, items[4:5]), learner_id, "b")
    won = await skill_state(api, learner_id, code)
    assert won["mastered"] is True and won["level"] == "mastered"
    # Three wrong answers: the second loses mastery (one event), the third does not regain it.
    failed = await take(api, await make_check(api, code, items[5:]), learner_id, "a")
    lost = await skill_state(api, learner_id, code)
    assert lost["mastered"] is False and lost["level"] != "mastered"
    assert lost["p_known"] < won["p_known"]
    events = await changes(api, learner_id, code)
    gained = [e for e in events if e["mastered"] and not e["previous_mastered"]]
    dropped = [e for e in events if not e["mastered"] and e["previous_mastered"]]
    assert len(gained) == 1 and len(dropped) == 1
    assert dropped[0]["reason"] == "response" and dropped[0]["previous_level"] == "mastered"
    # The evidence names the wrong answers that moved it, newest first.
    wrong = {r["id"] for r in failed["responses"]}
    assert dropped[0]["evidence"][0]["response_id"] in wrong
    assert dropped[0]["evidence"][0]["correct"] is False
    history = await api.get(
        f"/v1/learners/{learner_id}/mastery/{code}/history", headers=api.as_(TEACHER)
    )
    marks = [p["mastered"] for p in history.json()["items"]]
    assert True in marks and marks[-1] is False


async def test_skipped_items_of_a_finished_check_count_as_wrong(api: ServiceClient) -> None:
    """Right answers on the average items, the hard ones left unanswered: at the finish the
    skipped items count as wrong answers (otherwise skipping would be a way to mastery)."""
    code, learner_id, answered_all = "4.NF.B.3", uuid.uuid4(), uuid.uuid4()
    average = await make_items(api, code, 5, difficulty=0.0)
    hard = await make_items(api, code, 3, difficulty=2.0)
    check = await make_check(api, code, average + hard)
    started = await api.post(
        f"/v1/assessments/{check}/attempts",
        headers=api.as_(TEACHER),
        json={"learner_id": str(learner_id)},
    )
    attempt = started.json()
    for item_id in average:
        put = await api.put(
            f"/v1/attempts/{attempt['id']}/responses/{item_id}",
            json={"answer": {"choice": "b"}},
            headers=api.as_(TEACHER),
        )
        assert put.status_code == 200, put.text
    # Five right answers: mastered while the attempt is open.
    assert (await skill_state(api, learner_id, code))["mastered"] is True
    url = f"/v1/attempts/{attempt['id']}/finish"
    assert (await api.post(url, headers=api.as_(TEACHER))).status_code == 200
    state = await skill_state(api, learner_id, code)
    assert state["mastered"] is False and state["evidence_count"] == 8
    history = (
        await api.get(f"/v1/learners/{learner_id}/mastery/{code}/history", headers=api.as_(TEACHER))
    ).json()["items"]
    # One row for the skill, covering the three skipped items, as a wrong answer without response.
    skipped = history[-1]
    assert skipped["reason"] == "skipped" and skipped["correct"] is False
    assert skipped["response_id"] is None and skipped["mastered"] is False
    assert skipped["p_known"] < skipped["p_before"]
    events = await changes(api, learner_id, code)
    assert events[-1]["reason"] == "skipped" and events[-1]["previous_mastered"] is True
    # Finishing again changes nothing.
    assert (await api.post(url, headers=api.as_(TEACHER))).status_code == 200
    assert (await skill_state(api, learner_id, code))["evidence_count"] == 8
    # The same form answered in full (all right) masters the skill.
    await take(api, check, answered_all, "b")
    assert (await skill_state(api, answered_all, code))["mastered"] is True


async def test_reads_show_the_state_decayed_to_now(api: ServiceClient) -> None:
    """An idle learner's mastery fades on read (before any sweep writes it), through the public
    and the internal reads, and the read writes nothing."""
    code, learner_id = "4.NF.A.2", uuid.uuid4()
    await take(api, await make_check(api, code, await make_items(api, code, 5)), learner_id, "b")
    fresh = await skill_state(api, learner_id, code)
    assert fresh["mastered"] is True and fresh["p_known"] > 0.97
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session, session.begin():
            # 100 days idle: the part above the prior (0.2) times 0.5 ** (100 / 180).
            row = (
                await session.execute(
                    select(MasteryState).where(
                        MasteryState.learner_id == learner_id, MasteryState.skill_code == code
                    )
                )
            ).scalar_one()
            row.updated_at -= timedelta(days=100)
    finally:
        await db.dispose()
    expected = 0.2 + (fresh["p_known"] - 0.2) * 0.5 ** (100 / 180)
    faded = await skill_state(api, learner_id, code)
    assert abs(faded["p_known"] - expected) < 1e-4
    assert faded["mastered"] is False and faded["level"] == "familiar"
    internal = await api.post(
        "/internal/mastery/query",
        headers=api.as_(TEACHER),
        json={"learner_ids": [str(learner_id)], "skill_codes": [code]},
    )
    assert internal.status_code == 200, internal.text
    row = internal.json()["items"][0]
    assert abs(row["p_known"] - expected) < 1e-4 and row["mastered"] is False
    # The stored state is as the last answer left it: reads do not write.
    history = await api.get(
        f"/v1/learners/{learner_id}/mastery/{code}/history", headers=api.as_(TEACHER)
    )
    assert history.json()["items"][-1]["reason"] == "response"
    assert history.json()["items"][-1]["mastered"] is True


async def test_decay_sweep_takes_idle_mastery_away(api_own: ServiceClient) -> None:
    api = api_own
    code, idle, also_idle, beginner = "4.NF.A.2", uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    items = await make_items(api, code, 5)
    check = await make_check(api, code, items)
    await take(api, check, idle, "b")
    await take(api, check, also_idle, "b")
    started = await api.post(
        f"/v1/assessments/{check}/attempts",
        headers=api.as_(TEACHER),
        json={"learner_id": str(beginner)},
    )
    one = started.json()["items"][0]["item_id"]
    await api.put(
        f"/v1/attempts/{started.json()['id']}/responses/{one}",
        json={"answer": {"choice": "b"}},
        headers=api.as_(TEACHER),
    )
    before = await skill_state(api, idle, code)
    beginner_before = await skill_state(api, beginner, code)
    assert before["mastered"] is True and beginner_before["mastered"] is False
    # With the service's outbox, as the app's own Database: the sweep publishes through its session.
    db = Database(api.app.state.settings.database_url, outbox=outbox)
    try:
        # The schedule runs a sweep; today nothing has faded yet.
        await run_decay_sweeps(db, interval_seconds=0, rounds=1)
        assert (await skill_state(api, idle, code))["mastered"] is True

        async def sweep(days: float) -> int:
            async with unit_of_work(db) as session:
                # Batches of one: the keyset paging over several mastered states is exercised.
                return await sweep_decay(session, now=utcnow() + timedelta(days=days), batch_size=1)

        # A month off fades P(known) a little but keeps the mastery, and writes nothing.
        assert await sweep(30) == 0
        assert same(await skill_state(api, idle, code), before)
        assert await sweep(365) == 2
        assert await sweep(365) == 0  # nothing more to lose
    finally:
        await db.dispose()
    assert (await skill_state(api, also_idle, code))["mastered"] is False
    after = await skill_state(api, idle, code)
    assert after["mastered"] is False and after["level"] != "mastered"
    assert after["p_known"] < before["p_known"]
    # Not mastered: untouched by the sweep.
    assert same(await skill_state(api, beginner, code), beginner_before)
    history = await api.get(f"/v1/learners/{idle}/mastery/{code}/history", headers=api.as_(TEACHER))
    last = history.json()["items"][-1]
    assert last["reason"] == "decay" and last["response_id"] is None and last["mastered"] is False
    decayed = [e for e in await changes(api, idle, code) if e["reason"] == "decay"]
    assert len(decayed) == 1
    assert decayed[0]["previous_mastered"] is True and decayed[0]["mastered"] is False
    assert len(decayed[0]["evidence"]) == 5  # the responses that had earned it


async def test_skill_threshold_is_set_by_district_admins_per_district(api: ServiceClient) -> None:
    code, url = "4.NF.B.4", "/v1/mastery/skills/4.NF.B.4/params"
    default = await api.get(url, headers=api.as_(TEACHER))
    assert default.status_code == 200
    assert default.json()["threshold"] == 0.95 and default.json()["source"] == "default"
    for bad in (
        {"threshold": 0.5},
        {"threshold": 1.0},
        {"threshold": "high"},
        {},
        {"threshold": 0.8, "prior": 0.9},
    ):
        refused = await api.patch(url, json=bad, headers=api.as_(ADMIN))
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    unknown = await api.patch(
        "/v1/mastery/skills/9.ZZ.Z.9/params", json={"threshold": 0.8}, headers=api.as_(ADMIN)
    )
    assert (
        unknown.status_code == 422
        and unknown.json()["type"] == "https://pathwise.dev/problems/unknown-skill"
    )
    assert (await api.get("/v1/mastery/skills/9.ZZ.Z.9/params", headers=api.as_(TEACHER))).json()[
        "source"
    ] == "default"
    assert (
        await api.get("/v1/mastery/skills/not-a-code/params", headers=api.as_(TEACHER))
    ).status_code == 422
    # One threshold for every school of the district: not a teacher's or one school's call.
    for outsider in (as_learner(3), GUARDIAN, TEACHER, SCHOOL_ADMIN, READ_CLIENT):
        denied = await api.patch(url, json={"threshold": 0.8}, headers=api.as_(outsider))
        assert denied.status_code == 403, outsider
        assert denied.headers["content-type"] == "application/problem+json"
    assert (await api.get(url, headers=api.as_(as_learner(3)))).status_code == 403
    set_ = await api.patch(url, json={"threshold": 0.8}, headers=api.as_(ADMIN))
    assert set_.status_code == 200, set_.text
    assert set_.json()["threshold"] == 0.8 and set_.json()["prior"] == 0.2
    assert (await api.get(url, headers=api.as_(TEACHER))).json()["threshold"] == 0.8
    by_client = await api.patch(url, json={"threshold": 0.8}, headers=api.as_(WRITE_CLIENT))
    assert by_client.status_code == 200, by_client.text
    # Another district keeps its own (default) threshold.
    assert (await api.get(url, headers=api.as_(OUTSIDER))).json()["threshold"] == 0.95
    # Five right answers reach the evidence floor and P(known) ≈ 0.93 (forgetting, tied to the
    # threshold, caps it lower than at 0.95): mastered at 0.8, which 0.95 would not allow.
    learner_id = uuid.uuid4()
    await take(api, await make_check(api, code, await make_items(api, code, 5)), learner_id, "b")
    state = await skill_state(api, learner_id, code)
    assert 0.8 <= state["p_known"] < 0.95 and state["mastered"] is True


async def test_scheduled_fit_round_fits_every_district(api_own: ServiceClient) -> None:
    api = api_own
    code = "4.NF.B.3"
    check = await make_check(api, code, await make_items(api, code, 10))
    for n in range(3):
        await take(api, check, uuid.uuid4(), "b" if n else "a")
    db = Database(api.app.state.settings.database_url)
    try:
        await run_scheduled_fits(db, interval_seconds=0, min_responses=10, rounds=1)
    finally:
        await db.dispose()
    fits = (await api.get("/v1/mastery/fits", headers=api.as_(ADMIN))).json()["items"]
    scheduled = [f for f in fits if f["status"] == "succeeded" and code in f["results"]["skills"]]
    assert scheduled and scheduled[-1]["response_count"] >= 30
    # Three learners: stored, but shrunk toward the district's parameters, and the report says so.
    report = scheduled[-1]["report"][code]
    assert report["status"] == "shrunk" and report["learner_count"] == 3
    assert "thin_data" in {r["code"] for r in report["reasons"]}
    params = (await api.get(f"/v1/mastery/skills/{code}/params", headers=api.as_(ADMIN))).json()
    assert params["source"] == "fitted" and params["response_count"] == 30
    assert params["threshold"] == 0.95  # a fit never touches the threshold
