"""A plan the learner drafts, through pathways' API with the real profiles and assessment apps
in process (conftest's ``live``): propose, return with a comment, revise, approve into the
active pathway with the learner as author in its history; the refusals."""

import uuid
from typing import Any

from sqlalchemy import select

from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_pathways.models import outbox
from pathwise_shared.auth import Principal
from pathwise_shared.db import Database
from pathwise_shared.demo import demo_id

DISTRICT = demo_id("district", "riverside")
LEARNER = demo_id("learner", "learner-03")  # teacher-01's class


def learner(lid: uuid.UUID = LEARNER) -> Principal:
    return make_principal(DISTRICT, roles=["student"], user_id=lid)


def teacher() -> Principal:
    return make_principal(DISTRICT, roles=["teacher"], user_id=demo_id("user", "teacher-01"))


def url(lid: uuid.UUID = LEARNER, tail: str = "") -> str:
    return f"/v1/learners/{lid}/pathway/proposals{tail}"


async def events(app: ServiceClient, kind: str) -> list[dict[str, Any]]:
    db = Database(app.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == kind).order_by(outbox.c.id)
            )
            return [r[0] for r in rows]
    finally:
        await db.dispose()


async def test_propose_return_revise_approve(live: ServiceClient) -> None:
    activities = await live.get(
        "/v1/activities", params={"skill_code": "3.OA.A.1"}, headers=live.as_(teacher())
    )
    pick = activities.json()["items"][0]["id"]
    made = await live.post(
        url(),
        json={
            "goals": [{"skill_code": "3.NF.A.3"}],
            "order": ["3.NF.A.1"],
            "note": "fractions first, I like pizza problems",
        },
        headers=live.as_(learner()),
    )
    assert made.status_code == 201, made.text
    proposal = made.json()
    assert proposal["status"] == "proposed"
    assert made.headers["ETag"] == proposal["etag"]
    assert [r["actor_role"] for r in proposal["revisions"]] == ["student"]
    pid = proposal["id"]

    again = await live.post(url(), json={"order": []}, headers=live.as_(learner()))
    assert again.status_code == 409
    assert again.json()["type"].endswith("/proposal-open")

    # A teacher's decision names the version it read: 428 without If-Match.
    bare = await live.post(
        url(tail=f"/{pid}/return"), json={"comment": "x"}, headers=live.as_(teacher())
    )
    assert bare.status_code == 428
    returned = await live.post(
        url(tail=f"/{pid}/return"),
        json={"comment": "Add multiplication too: your goal for March needs it."},
        headers={**live.as_(teacher()), "If-Match": proposal["etag"]},
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert returned.json()["revisions"][-1]["comment"].startswith("Add multiplication")
    assert returned.json()["revisions"][-1]["actor_role"] == "teacher"

    # Approving a returned proposal: it must be resubmitted first.
    early = await live.post(
        url(tail=f"/{pid}/approve"),
        json={},
        headers={**live.as_(teacher()), "If-Match": returned.json()["etag"]},
    )
    assert early.status_code == 409
    assert early.json()["type"].endswith("/proposal-status")

    stale = await live.patch(
        url(tail=f"/{pid}"),
        json={"order": ["3.OA.A.1"]},
        headers={**live.as_(learner()), "If-Match": proposal["etag"]},
    )
    assert stale.status_code == 412
    revised = await live.patch(
        url(tail=f"/{pid}"),
        json={
            "goals": [{"skill_code": "3.NF.A.3"}, {"skill_code": "3.OA.A.1"}],
            "order": ["3.OA.A.1", "3.NF.A.1"],
            "choices": [{"skill_code": "3.OA.A.1", "activity_id": pick}],
        },
        headers={**live.as_(learner()), "If-Match": returned.json()["etag"]},
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["status"] == "proposed"
    assert revised.json()["revisions"][-1]["change"] == "resubmitted"

    # The learner cannot approve their own plan; a stale approval is 412.
    own = await live.post(
        url(tail=f"/{pid}/approve"),
        json={},
        headers={**live.as_(learner()), "If-Match": revised.json()["etag"]},
    )
    assert own.status_code == 403
    stale_approval = await live.post(
        url(tail=f"/{pid}/approve"),
        json={},
        headers={**live.as_(teacher()), "If-Match": returned.json()["etag"]},
    )
    assert stale_approval.status_code == 412

    approved = await live.post(
        url(tail=f"/{pid}/approve"),
        json={"comment": "Good plan."},
        headers={**live.as_(teacher()), "If-Match": revised.json()["etag"]},
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved"
    pathway = body["pathway"]
    assert pathway["status"] == "active"
    steps = {s["skill_code"]: s for s in pathway["steps"]}
    assert steps["3.OA.A.1"]["teacher_rank"] == 0
    assert steps["3.OA.A.1"]["position"] < steps["3.NF.A.3"]["position"]
    assert steps["3.OA.A.1"]["chosen_activity_id"] == pick
    assert {g["skill_code"] for g in pathway["goals"]} == {"3.NF.A.3", "3.OA.A.1"}

    versions = await live.get(
        f"/v1/learners/{LEARNER}/pathway/versions", headers=live.as_(teacher())
    )
    history = versions.json()["items"]
    assert [v["change"] for v in history[:2]] == ["approved", "proposed"]
    assert history[1]["actor"] == str(LEARNER)
    assert history[1]["actor_role"] == "student"
    assert history[1]["proposal_id"] == pid
    assert history[0]["actor_role"] == "teacher"

    # Approved is final.
    late = await live.patch(
        url(tail=f"/{pid}"),
        json={"note": "changed my mind"},
        headers={**live.as_(learner()), "If-Match": body["etag"]},
    )
    assert late.status_code == 409

    proposed = [
        e for e in await events(live, "pathway.proposed") if e["data"]["proposal_id"] == pid
    ]
    assert len(proposed) == 2
    assert set(proposed[0]["data"]) == {"learner_id", "proposal_id", "version"}
    assert len(await events(live, "pathway.returned")) >= 1
    planned = [
        e for e in await events(live, "pathway.planned") if e["data"]["learner_id"] == str(LEARNER)
    ]
    assert planned[-1]["data"]["status"] == "active"
    assert planned[-1]["data"]["version"] == pathway["version"]

    listed = await live.get(url(), headers=live.as_(learner()))
    assert listed.status_code == 200
    assert listed.json()["items"][0]["id"] == pid


async def test_only_the_learner_proposes_for_themself(live: ServiceClient) -> None:
    guardian = make_principal(DISTRICT, roles=["guardian"], user_id=demo_id("user", "guardian-03"))
    by_guardian = await live.post(url(), json={}, headers=live.as_(guardian))
    assert by_guardian.status_code == 403
    other = demo_id("learner", "learner-04")
    by_other = await live.post(url(), json={}, headers=live.as_(learner(other)))
    assert by_other.status_code == 403
    assert by_other.json()["type"].endswith("/proposal-learner-only")


async def test_the_planner_rules_apply_before_anything_is_stored(live: ServiceClient) -> None:
    lid = demo_id("learner", "learner-05")
    unknown = await live.post(
        url(lid), json={"goals": [{"skill_code": "9.ZZ.Z.9"}]}, headers=live.as_(learner(lid))
    )
    assert unknown.status_code == 422
    assert unknown.json()["codes"] == ["9.ZZ.Z.9"]
    backwards = await live.post(
        url(lid),
        json={"goals": [{"skill_code": "3.NF.A.3"}], "order": ["3.NF.A.3", "3.NF.A.1"]},
        headers=live.as_(learner(lid)),
    )
    assert backwards.status_code == 409
    assert backwards.json()["type"].endswith("/prerequisite-order")
    wrong_pick = await live.post(
        url(lid),
        json={
            "goals": [{"skill_code": "3.NF.A.3"}],
            "choices": [{"skill_code": "3.NF.A.3", "activity_id": str(uuid.UUID(int=5))}],
        },
        headers=live.as_(learner(lid)),
    )
    assert wrong_pick.status_code == 422
    listed = await live.get(url(lid), headers=live.as_(learner(lid)))
    assert listed.json()["items"] == []


async def test_the_author_cannot_approve_their_own_plan(live: ServiceClient) -> None:
    # A user who is both a learner and staff (the route admits staff): still not their own.
    lid = demo_id("learner", "learner-06")
    both = make_principal(DISTRICT, roles=["student", "teacher"], user_id=lid)
    made = await live.post(
        url(lid), json={"goals": [{"skill_code": "3.NF.A.1"}]}, headers=live.as_(both)
    )
    assert made.status_code == 201, made.text
    refused = await live.post(
        url(lid, f"/{made.json()['id']}/approve"),
        json={},
        headers={**live.as_(both), "If-Match": made.json()["etag"]},
    )
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/own-proposal")
