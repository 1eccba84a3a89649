"""Step evidence through pathways' API, with the real profiles and assessment apps in process:
a teacher allows formats with a rubric on the learner's step, the learner submits their own
artifact (refused: another kind, another learner's artifact, a step not on the pathway, a second
pending one), a teacher scores it and assessment's mastery moves once however often the score is
retried; with assessment down the score is a 503 and nothing is stored."""

import uuid
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_pathways.models import outbox
from pathwise_shared.auth import Principal
from pathwise_shared.calls import ServiceCaller
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id


class LiveApps(Protocol):
    """conftest's ``live_apps`` (a test module cannot import conftest)."""

    pathways: ServiceClient
    assessment: ServiceClient


DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-01")
OTHER = demo_id("learner", "learner-02")
RUBRIC = {
    "criteria": [
        {
            "id": "ideas",
            "description": "The mathematics is right",
            "levels": [
                {"id": "beginning", "description": "Not yet", "points": 0},
                {"id": "developing", "description": "Partly", "points": 1},
                {"id": "secure", "description": "Fully", "points": 2},
            ],
        },
        {
            "id": "explains",
            "description": "It is explained",
            "levels": [
                {"id": "no", "description": "No", "points": 0},
                {"id": "yes", "description": "Yes", "points": 1},
            ],
        },
    ]
}
TOP = {"ideas": "secure", "explains": "yes"}


def learner(lid: uuid.UUID = LEARNER) -> Principal:
    return make_principal(DISTRICT, roles=["student"], user_id=lid)


TEACHER = make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))
GUARDIAN = make_principal(DISTRICT, roles=["guardian"], user_id=demo_id("user", "guardian-01"))


@pytest.fixture(scope="module")
async def step(live_apps: LiveApps) -> dict[str, Any]:
    pw = live_apps.pathways
    made = await pw.post(
        f"/v1/learners/{LEARNER}/pathway", json={"reason": "evidence"}, headers=pw.as_(TEACHER)
    )
    assert made.status_code == 201, made.text
    ready = [s for s in made.json()["steps"] if s["status"] == "ready"]
    assert ready
    found: dict[str, Any] = ready[0]
    return found


async def artifact(
    live_apps: LiveApps, kind: str, lid: uuid.UUID = LEARNER, shared: bool = False
) -> str:
    pw = live_apps.pathways
    fields: dict[str, Any] = {"kind": kind, "title": f"my {kind}"}
    files = None
    if kind == "text":
        fields["body"] = "Three quarters is three of four equal parts."
    elif kind == "video":
        files = {"file": ("v.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\0" * 64,
                          "video/mp4")}  # fmt: skip
    if shared:
        fields["share_with_guardians"] = "true"
    made = await pw.post(
        f"/v1/learners/{lid}/portfolio", data=fields, files=files, headers=pw.as_(learner(lid))
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def mastery_of(live_apps: LiveApps, code: str) -> dict[str, Any]:
    a = live_apps.assessment
    got = await a.get(f"/v1/learners/{LEARNER}/mastery", headers=a.as_(TEACHER))
    assert got.status_code == 200, got.text
    return next((s for s in got.json()["skills"] if s["skill_code"] == code), {})


async def scored_events(live_apps: LiveApps) -> list[dict[str, Any]]:
    db = Database(live_apps.pathways.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == "evidence.scored")
            )
            return [r[0]["data"] for r in rows]
    finally:
        await db.dispose()


async def test_rule_submission_and_score(live_apps: LiveApps, step: dict[str, Any]) -> None:
    pw = live_apps.pathways
    base = f"/v1/learners/{LEARNER}/pathway/steps/{step['id']}"
    # No rule yet: only skill checks.
    empty = await pw.get(f"{base}/evidence-rule", headers=pw.as_(learner()))
    assert empty.status_code == 200 and empty.json()["formats"] == []
    text = await artifact(live_apps, "text", shared=True)
    refused = await pw.post(
        f"{base}/evidence", json={"artifact_id": text}, headers=pw.as_(learner())
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/evidence-format-not-allowed")

    # Formats without a rubric are refused; with one, set (no If-Match needed the first time).
    bad = await pw.put(f"{base}/evidence-rule", json={"formats": ["writing"]},
                       headers=pw.as_(TEACHER))  # fmt: skip
    assert bad.status_code == 422
    rule = await pw.put(
        f"{base}/evidence-rule",
        json={"formats": ["writing", "drawing"], "rubric": RUBRIC},
        headers=pw.as_(TEACHER),
    )
    assert rule.status_code == 200, rule.text
    assert rule.json()["artifact_kinds"] == ["text", "image", "document"]
    stale = await pw.put(f"{base}/evidence-rule", json={"formats": []}, headers=pw.as_(TEACHER))
    assert stale.status_code == 428

    # A video is not writing or drawing; another learner's artifact is not theirs.
    video = await artifact(live_apps, "video")
    no_video = await pw.post(f"{base}/evidence", json={"artifact_id": video},
                             headers=pw.as_(learner()))  # fmt: skip
    assert no_video.status_code == 422
    assert no_video.json()["allowed_kinds"] == ["text", "image", "document"]
    theirs = await artifact(live_apps, "text", lid=OTHER)
    not_mine = await pw.post(f"{base}/evidence", json={"artifact_id": theirs},
                             headers=pw.as_(learner()))  # fmt: skip
    assert not_mine.status_code == 422 and not_mine.json()["type"].endswith("/artifact-not-yours")
    elsewhere = await pw.post(
        f"/v1/learners/{LEARNER}/pathway/steps/{uuid.uuid4()}/evidence",
        json={"artifact_id": text},
        headers=pw.as_(learner()),
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["type"].endswith("/step-not-found")

    sent = await pw.post(f"{base}/evidence", json={"artifact_id": text}, headers=pw.as_(learner()))
    assert sent.status_code == 201, sent.text
    sub = sent.json()
    assert sub["status"] == "pending" and sub["format"] == "writing" and sub["max_points"] == 3
    twice = await pw.post(f"{base}/evidence", json={"artifact_id": text}, headers=pw.as_(learner()))
    assert twice.status_code == 409 and twice.json()["type"].endswith("/evidence-pending")

    before = await mastery_of(live_apps, step["skill_code"])
    url = f"{base}/evidence/{sub['id']}/score"
    wrong = await pw.post(url, json={"levels": {"ideas": "secure"}}, headers=pw.as_(TEACHER))
    assert wrong.status_code == 422 and wrong.json()["type"].endswith("/invalid-rubric-score")
    scored = await pw.post(url, json={"levels": TOP, "comment": "Clear!"}, headers=pw.as_(TEACHER))
    assert scored.status_code == 200, scored.text
    assert scored.json()["fraction"] == 1.0 and scored.json()["correct"] is True
    after = await mastery_of(live_apps, step["skill_code"])
    assert after["evidence_count"] == before.get("evidence_count", 0) + 1
    assert after["p_known"] > before.get("p_known", 0.0)

    # A retry is the same answer and counts once; another score of the same work is a 409.
    retry = await pw.post(url, json={"levels": TOP}, headers=pw.as_(TEACHER))
    assert retry.status_code == 200 and retry.json()["scored_at"] == scored.json()["scored_at"]
    other = await pw.post(url, json={"levels": {"ideas": "beginning", "explains": "no"}},
                          headers=pw.as_(TEACHER))  # fmt: skip
    assert other.status_code == 409
    again = await mastery_of(live_apps, step["skill_code"])
    assert again["evidence_count"] == after["evidence_count"]
    assert again["p_known"] == pytest.approx(after["p_known"], abs=1e-6)
    events = [e for e in await scored_events(live_apps) if e["submission_id"] == sub["id"]]
    assert len(events) == 1 and events[0]["skill_code"] == step["skill_code"]

    # Readers: the learner, staff; a guardian as the artifact's sharing says.
    for who in (learner(), TEACHER, GUARDIAN):
        got = await pw.get(f"{base}/evidence/{sub['id']}", headers=pw.as_(who))
        assert got.status_code == 200, got.text
    listed = await pw.get(f"/v1/learners/{LEARNER}/pathway/evidence?status=scored",
                          headers=pw.as_(GUARDIAN))  # fmt: skip
    assert [s["id"] for s in listed.json()["items"]] == [sub["id"]]


async def test_assessment_down_stores_nothing(live_apps: LiveApps, step: dict[str, Any]) -> None:
    pw = live_apps.pathways
    base = f"/v1/learners/{LEARNER}/pathway/steps/{step['id']}"
    rule = await pw.get(f"{base}/evidence-rule", headers=pw.as_(TEACHER))
    if rule.json()["formats"] != ["writing", "drawing"]:
        put = await pw.put(
            f"{base}/evidence-rule",
            json={"formats": ["writing", "drawing"], "rubric": RUBRIC},
            headers={**pw.as_(TEACHER), "If-Match": rule.json()["etag"]},
        )
        assert put.status_code == 200, put.text
    text = await artifact(live_apps, "text")
    sent = await pw.post(f"{base}/evidence", json={"artifact_id": text}, headers=pw.as_(learner()))
    assert sent.status_code == 201, sent.text
    url = f"{base}/evidence/{sent.json()['id']}/score"
    upstream = pw.app.state.upstream
    working = upstream.assessment
    down = httpx.AsyncClient(base_url="http://127.0.0.1:9")
    upstream.assessment = ServiceCaller("assessment", down, pw.secret)
    try:
        failed = await pw.post(url, json={"levels": TOP}, headers=pw.as_(TEACHER))
    finally:
        upstream.assessment = working
        await down.aclose()
    assert failed.status_code == 503, failed.text
    got = await pw.get(f"{base}/evidence/{sent.json()['id']}", headers=pw.as_(TEACHER))
    assert got.json()["status"] == "pending" and got.json()["levels"] is None
    # Once assessment is back the same score goes through.
    ok = await pw.post(url, json={"levels": TOP}, headers=pw.as_(TEACHER))
    assert ok.status_code == 200 and ok.json()["status"] == "scored"
