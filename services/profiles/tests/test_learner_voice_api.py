"""Goals the learner owns (why, teachers' comments and co-sign, ``goal.completed``) and
reflections (confidence, journal, replies, who reads, the latest confidence per skill), against
the real profiles app. Learners 16-18 are grade 4 (teacher-02); nothing else here uses them."""

import uuid
from typing import Any

from sqlalchemy import select

from pathwise_devstack.profiles_fixtures import as_learner, as_user, learner
from pathwise_devstack.testing import ServiceClient
from pathwise_profiles.models import outbox
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

TEACHER = as_user("teacher-02", "teacher")
OTHER_TEACHER = as_user("teacher-01", "teacher")
ADMIN = as_user("admin-district", "district_admin")
PATHWAYS = Principal(subject="system:pathways", kind="system", district_id=DEMO_DISTRICT)


def path(n: int, rest: str) -> str:
    return f"/v1/learners/{learner(n)}/{rest}"


async def events(client: ServiceClient, type_: str) -> list[dict[str, Any]]:
    """The ``data`` of the outbox's events of a type, oldest first."""
    async with client.app.state.db.session() as session:
        rows = await session.execute(
            select(outbox.c.envelope).where(outbox.c.event_type == type_).order_by(outbox.c.id)
        )
        return [envelope["data"] for (envelope,) in rows]


async def new_goal(client: ServiceClient, n: int, **extra: Any) -> dict[str, Any]:
    made = await client.post(
        path(n, "goals"),
        json={"term": "short", "title": "Fractions on a number line", **extra},
        headers=client.as_(as_learner(n)),
    )
    assert made.status_code == 201, made.text
    goal: dict[str, Any] = made.json()
    return goal


async def test_learner_owns_goal_with_why_teacher_comments_and_co_signs(
    client: ServiceClient,
) -> None:
    goal = await new_goal(
        client, 16, why="I want to help my sister with hers", skill_codes=["4.NF.A.1"]
    )
    assert goal["why"] == "I want to help my sister with hers"
    assert goal["co_signed_by"] is None
    gid = goal["id"]
    # The teacher comments; the learner reads the thread.
    said = await client.post(
        path(16, f"goals/{gid}/comments"),
        json={"body": "Great goal. Start with halves."},
        headers=client.as_(TEACHER),
    )
    assert said.status_code == 201, said.text
    assert said.json()["role"] == "teacher" and said.json()["author"] == str(
        demo_id("user", "teacher-02")
    )
    thread = await client.get(path(16, f"goals/{gid}/comments"), headers=client.as_(as_learner(16)))
    assert [c["body"] for c in thread.json()] == ["Great goal. Start with halves."]
    # The learner and guardians (no comment-writing) and another class's teacher are refused.
    for who in (as_learner(16), as_user("guardian-16", "guardian"), OTHER_TEACHER):
        refused = await client.post(
            path(16, f"goals/{gid}/comments"), json={"body": "hi"}, headers=client.as_(who)
        )
        assert refused.status_code == 403, refused.text
    # Guardians read the thread while the learner shares goals with them (the default).
    shown = await client.get(
        path(16, f"goals/{gid}/comments"), headers=client.as_(as_user("guardian-16", "guardian"))
    )
    assert shown.status_code == 200 and len(shown.json()) == 1
    # Co-sign needs the version read.
    unsure = await client.post(path(16, f"goals/{gid}/co-sign"), headers=client.as_(TEACHER))
    assert unsure.status_code == 428, unsure.text
    signed = await client.post(
        path(16, f"goals/{gid}/co-sign"),
        headers={**client.as_(TEACHER), "If-Match": goal["etag"]},
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["co_signed_by"] == str(demo_id("user", "teacher-02"))
    assert signed.json()["co_signed_at"] is not None
    # The learner's `why` edit keeps it; their edit of the title clears it.
    why = await client.patch(
        path(16, f"goals/{gid}"),
        json={"why": "So I can bake with my grandma"},
        headers={**client.as_(as_learner(16)), "If-Match": signed.headers["etag"]},
    )
    assert why.status_code == 200 and why.json()["co_signed_by"] is not None
    retitled = await client.patch(
        path(16, f"goals/{gid}"),
        json={"title": "Fractions and decimals"},
        headers={**client.as_(as_learner(16)), "If-Match": why.json()["etag"]},
    )
    assert retitled.status_code == 200, retitled.text
    assert retitled.json()["co_signed_by"] is None and retitled.json()["co_signed_at"] is None
    history = await client.get(path(16, "history"), headers=client.as_(TEACHER))
    entries = [e for e in history.json()["items"] if e["target_id"] == gid]
    # Kept with the edit that cleared it (and the co-sign itself): who, when, before and after.
    assert ["co_signed_by", "title"] in [e["fields"] for e in entries]
    assert ["co_signed_by"] in [e["fields"] for e in entries]


async def test_goal_comment_problems(client: ServiceClient) -> None:
    goal = await new_goal(client, 17)
    gid = goal["id"]
    for body in ({"body": ""}, {"body": "   "}, {"body": "x" * 2001}, {}):
        bad = await client.post(
            path(17, f"goals/{gid}/comments"), json=body, headers=client.as_(TEACHER)
        )
        assert bad.status_code == 422, (body, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
    missing = await client.post(
        path(17, f"goals/{uuid.uuid4()}/comments"), json={"body": "hi"}, headers=client.as_(TEACHER)
    )
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/goal-not-found")
    long_why = await client.post(
        path(17, "goals"),
        json={"term": "short", "title": "t", "why": "w" * 501},
        headers=client.as_(as_learner(17)),
    )
    assert long_why.status_code == 422


async def test_goal_completed_once_by_learner_and_once_by_mastery(client: ServiceClient) -> None:
    by_hand = await new_goal(client, 18, skill_codes=["4.NF.A.1"])
    before = len(await events(client, "goal.completed"))
    done = await client.patch(
        path(18, f"goals/{by_hand['id']}"),
        json={"status": "achieved"},
        headers={**client.as_(as_learner(18)), "If-Match": by_hand["etag"]},
    )
    assert done.status_code == 200 and done.json()["completed_at"] is not None
    # Another edit of an achieved goal is no new completion.
    again = await client.patch(
        path(18, f"goals/{by_hand['id']}"),
        json={"why": "because"},
        headers={**client.as_(as_learner(18)), "If-Match": done.json()["etag"]},
    )
    assert again.status_code == 200
    completed = await events(client, "goal.completed")
    assert completed[before:] == [
        {"goal_id": by_hand["id"], "learner_id": str(learner(18)), "skill_codes": ["4.NF.A.1"]}
    ]
    # Mastery: a push reaching 1.0 makes an active goal achieved, once.
    pushed_goal = await new_goal(client, 18, skill_codes=["4.NF.B.3"])
    url = f"/internal/learners/{learner(18)}/goal-progress"
    half = {"skills": [{"skill_code": "4.NF.B.3", "needed": 2, "done": 1}]}
    full = {"skills": [{"skill_code": "4.NF.B.3", "needed": 2, "done": 2}]}
    for body in (half, full, full):
        answer = await client.put(url, json=body, headers=client.as_(PATHWAYS))
        assert answer.status_code == 200, answer.text
    goals = {
        g["id"]: g
        for g in (await client.get(path(18, "goals"), headers=client.as_(as_learner(18)))).json()
    }
    assert goals[pushed_goal["id"]]["status"] == "achieved"
    assert goals[pushed_goal["id"]]["progress"] == 1.0
    completed = await events(client, "goal.completed")
    assert [e["goal_id"] for e in completed[before:]] == [by_hand["id"], pushed_goal["id"]]


async def test_reflections_written_by_the_learner_only_and_read_by_consent(
    client: ServiceClient,
) -> None:
    goal = await new_goal(client, 19)
    before = len(await events(client, "reflection.added"))
    on_skill = await client.post(
        path(19, "reflections"),
        json={"skill_code": "4.NF.A.1", "confidence": 3, "journal": "Halves are easy now."},
        headers=client.as_(as_learner(19)),
    )
    assert on_skill.status_code == 201, on_skill.text
    rid = on_skill.json()["id"]
    assert on_skill.json()["target_kind"] == "skill"
    on_goal = await client.post(
        path(19, "reflections"),
        json={"goal_id": goal["id"], "confidence": 1},
        headers=client.as_(as_learner(19)),
    )
    assert on_goal.status_code == 201, on_goal.text
    on_step = await client.post(
        path(19, "reflections"),
        json={"step_id": str(uuid.uuid4()), "confidence": 2},
        headers=client.as_(as_learner(19)),
    )
    assert on_step.status_code == 201, on_step.text
    added = (await events(client, "reflection.added"))[before:]
    assert added[0] == {
        "reflection_id": rid,
        "learner_id": str(learner(19)),
        "target_kind": "skill",
        "skill_code": "4.NF.A.1",
    }
    assert len(added) == 3 and all("journal" not in e and "confidence" not in e for e in added)
    # Nobody else writes one: teacher, guardian, admin (403), another learner (403).
    for who in (TEACHER, as_user("guardian-19", "guardian"), ADMIN, as_learner(18)):
        refused = await client.post(
            path(19, "reflections"),
            json={"skill_code": "4.NF.A.1", "confidence": 2},
            headers=client.as_(who),
        )
        assert refused.status_code == 403, refused.text
    # The teacher replies; the learner reads the thread.
    reply = await client.post(
        path(19, f"reflections/{rid}/replies"),
        json={"body": "Try thirds next."},
        headers=client.as_(TEACHER),
    )
    assert reply.status_code == 201, reply.text
    own = await client.get(path(19, f"reflections/{rid}"), headers=client.as_(as_learner(19)))
    assert [r["body"] for r in own.json()["replies"]] == ["Try thirds next."]
    listed = await client.get(path(19, "reflections?limit=2"), headers=client.as_(TEACHER))
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 2 and listed.json()["next_cursor"]
    # The guardian reads nothing until the learner shares reflections with guardians.
    guardian = client.as_(as_user("guardian-19", "guardian"))
    assert (await client.get(path(19, "reflections"), headers=guardian)).status_code == 403
    assert (await client.get(path(19, "confidence"), headers=guardian)).status_code == 403
    profile = await client.get(path(19, "profile"), headers=client.as_(as_learner(19)))
    shared = await client.patch(
        path(19, "profile"),
        json={"sharing": {"reflections": {"guardians": True}}},
        headers={**client.as_(as_learner(19)), "If-Match": profile.headers["etag"]},
    )
    assert shared.status_code == 200, shared.text
    assert (await client.get(path(19, "reflections"), headers=guardian)).status_code == 200
    # The latest confidence per skill.
    later = await client.post(
        path(19, "reflections"),
        json={"skill_code": "4.NF.A.1", "confidence": 4},
        headers=client.as_(as_learner(19)),
    )
    assert later.status_code == 201
    confidence = await client.get(path(19, "confidence"), headers=client.as_(TEACHER))
    assert confidence.status_code == 200, confidence.text
    assert [(s["skill_code"], s["confidence"]) for s in confidence.json()["skills"]] == [
        ("4.NF.A.1", 4)
    ]


async def test_reflection_problems(client: ServiceClient) -> None:
    learner_20 = client.as_(as_learner(20))
    others_goal = await new_goal(client, 17)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"skill_code": "4.NF.A.1", "confidence": 0}, "validation-error"),
        ({"skill_code": "4.NF.A.1", "confidence": 5}, "validation-error"),
        ({"skill_code": "4.NF.A.1", "confidence": "3"}, "validation-error"),
        ({"confidence": 2}, "validation-error"),
        ({"skill_code": "4.NF.A.1", "goal_id": others_goal["id"], "confidence": 2},
         "validation-error"),
        ({"skill_code": "4.NF.A.1", "confidence": 2, "journal": ""}, "validation-error"),
        ({"skill_code": "4.NF.A.1", "confidence": 2, "journal": "j" * 2001}, "validation-error"),
        ({"goal_id": others_goal["id"], "confidence": 2}, "reflection-target-not-own"),
        ({"goal_id": str(uuid.uuid4()), "confidence": 2}, "reflection-target-not-own"),
    ]  # fmt: skip
    for body, slug in cases:
        bad = await client.post(path(20, "reflections"), json=body, headers=learner_20)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.json()["type"].endswith("/" + slug), (body, bad.text)
    missing = await client.post(
        path(20, f"reflections/{uuid.uuid4()}/replies"),
        json={"body": "hi"},
        headers=client.as_(TEACHER),
    )
    assert missing.status_code == 404 and missing.json()["type"].endswith("/reflection-not-found")
    # Nothing was written by the refused ones.
    listed = await client.get(path(20, "reflections"), headers=learner_20)
    assert listed.json()["items"] == []
