"""Learner profiles through the API: per-reader views, per-part edits, ETags, history, events."""

from typing import Any

import pytest
from sqlalchemy import select

from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT, as_learner, as_user, learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_profiles.models import outbox
from pathwise_profiles.seed import DEMO_DISTRICT

ADMIN = as_user("admin-district", "district_admin")


def path(n: int, rest: str = "profile") -> str:
    return f"/v1/learners/{learner(n)}/{rest}"


async def _read(client: ServiceClient, n: int, principal: Any = ADMIN) -> Any:
    response = await client.get(path(n), headers=client.as_(principal))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == response.json()["etag"]
    return response


async def test_teacher_reads_everything_student_does_not_see_notes(client: ServiceClient) -> None:
    teacher = (await _read(client, 5, as_user("teacher-01", "teacher"))).json()
    assert teacher["accommodations"] == [
        {"term": "text_to_speech"},
        {"term": "reduced_distraction"},
    ]
    assert teacher["notes"] and teacher["hidden"] == []
    assert teacher["restrictions"]["notes"]["hide_from_student"] is True
    student = (await _read(client, 5, as_learner(5))).json()
    assert student["notes"] is None and student["hidden"] == ["notes"]
    assert student["accommodations"] and student["restrictions"] is None


async def test_accommodations_marked_hidden_from_the_student(client: ServiceClient) -> None:
    student = (await _read(client, 12, as_learner(12))).json()
    assert student["accommodations"] is None and "accommodations" in student["hidden"]
    guardian = (await _read(client, 12, as_user("guardian-12", "guardian"))).json()
    assert guardian["accommodations"] == [
        {"term": "extended_time", "factor": 1.5},
        {"term": "breaks"},
    ]


async def test_other_students_guardian_and_other_student_are_refused(client: ServiceClient) -> None:
    assert (
        await client.get(path(12), headers=client.as_(as_user("guardian-13", "guardian")))
    ).status_code == 403
    assert (await client.get(path(12), headers=client.as_(as_learner(13)))).status_code == 403
    other = make_principal(OTHER_DISTRICT, roles=["district_admin"])
    assert (await client.get(path(12), headers=client.as_(other))).status_code == 404


async def test_edit_needs_if_match_and_stale_is_412(client: ServiceClient) -> None:
    teacher = as_user("teacher-01", "teacher")
    first = await _read(client, 3, teacher)
    etag = first.headers["etag"]
    missing = await client.patch(path(3), json={"pace": "faster"}, headers=client.as_(teacher))
    assert missing.status_code == 428
    ok = await client.patch(
        path(3),
        json={"pace": "faster", "strengths": ["estimation"]},
        headers={**client.as_(teacher), "If-Match": etag},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["pace"] == "faster" and ok.headers["etag"] != etag
    stale = await client.patch(
        path(3), json={"pace": "slower"}, headers={**client.as_(teacher), "If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert (await _read(client, 3)).json()["pace"] == "faster"


async def test_student_edits_own_interests_not_accommodations(client: ServiceClient) -> None:
    me = as_learner(7)
    etag = (await _read(client, 7, me)).headers["etag"]
    refused = await client.patch(
        path(7), json={"accommodations": []}, headers={**client.as_(me), "If-Match": etag}
    )
    assert refused.status_code == 403
    assert refused.json()["fields"] == ["accommodations"]
    ok = await client.patch(
        path(7),
        json={"interests": ["volcanoes", "chess"]},
        headers={**client.as_(me), "If-Match": etag},
    )
    assert ok.status_code == 200 and ok.json()["interests"] == ["volcanoes", "chess"]
    guardian = await client.patch(
        path(7),
        json={"interests": []},
        headers={**client.as_(as_user("guardian-07", "guardian")), "If-Match": ok.headers["etag"]},
    )
    assert guardian.status_code == 403


async def test_consent_hides_interests_from_guardians(client: ServiceClient) -> None:
    me = as_learner(8)
    etag = (await _read(client, 8, me)).headers["etag"]
    ok = await client.patch(
        path(8),
        json={"sharing": {"interests": {"guardians": False, "teachers": True}}},
        headers={**client.as_(me), "If-Match": etag},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["sharing"]["goals"] == {"guardians": True, "teachers": True}
    guardian = (await _read(client, 8, as_user("guardian-08", "guardian"))).json()
    assert guardian["interests"] is None and "interests" in guardian["hidden"]
    teacher = (await _read(client, 8, as_user("teacher-01", "teacher"))).json()
    assert teacher["interests"]
    staff_try = await client.patch(
        path(8),
        json={"sharing": {"interests": {"guardians": True, "teachers": True}}},
        headers={**client.as_(as_user("teacher-01", "teacher")), "If-Match": ok.headers["etag"]},
    )
    assert staff_try.status_code == 403


async def test_history_and_events(client: ServiceClient) -> None:
    teacher = as_user("teacher-01", "teacher")
    etag = (await _read(client, 9, teacher)).headers["etag"]
    body = {
        "accommodations": [{"term": "extended_time", "factor": 1.5}],
        "languages": {"home": ["es"], "english_learner": True, "english_proficiency": 3},
    }
    ok = await client.patch(path(9), json=body, headers={**client.as_(teacher), "If-Match": etag})
    assert ok.status_code == 200, ok.text
    history = await client.get(path(9, "history"), headers=client.as_(teacher))
    assert history.status_code == 200
    entry = history.json()["items"][-1]
    assert entry["fields"] == ["accommodations", "languages"]
    assert entry["before"]["accommodations"] == [{"term": "large_print"}]
    assert entry["after"]["languages"]["home"] == ["es"]
    assert entry["actor"] == teacher.subject
    assert (
        await client.get(path(9, "history"), headers=client.as_(as_learner(9)))
    ).status_code == 403
    async with client.app.state.db.session() as session:
        envelopes = (
            (
                await session.execute(
                    select(outbox.c.envelope).where(outbox.c.subject == f"learner/{learner(9)}")
                )
            )
            .scalars()
            .all()
        )
    assert envelopes[-1]["type"] == "profile.changed"
    assert envelopes[-1]["data"]["parts"] == ["accommodations", "languages"]
    assert "extended_time" not in str(envelopes[-1])  # thin: no accommodation content
    assert (await _read(client, 9)).json()["languages"]["english_learner"] is True


async def test_goals_lifecycle(client: ServiceClient) -> None:
    me = as_learner(21)
    created = await client.post(
        path(21, "goals"),
        json={
            "term": "short",
            "title": "Divide decimals",
            "skill_codes": ["5.NBT.B.7"],
            "target_date": "2027-03-01",
        },
        headers=client.as_(me),
    )
    assert created.status_code == 201, created.text
    goal = created.json()
    missing = await client.patch(
        path(21, f"goals/{goal['id']}"), json={"progress": 0.5}, headers=client.as_(me)
    )
    assert missing.status_code == 428
    ok = await client.patch(
        path(21, f"goals/{goal['id']}"),
        json={"progress": 0.5},
        headers={**client.as_(me), "If-Match": goal["etag"]},
    )
    assert ok.status_code == 200 and ok.json()["progress"] == 0.5
    stale = await client.patch(
        path(21, f"goals/{goal['id']}"),
        json={"progress": 0.6},
        headers={**client.as_(me), "If-Match": goal["etag"]},
    )
    assert stale.status_code == 412
    listed = await client.get(
        path(21, "goals"), headers=client.as_(as_user("guardian-21", "guardian"))
    )
    assert goal["id"] in {g["id"] for g in listed.json()}
    planning = await client.get(
        f"/internal/learners/{learner(21)}/planning-profile", headers=client.as_(ADMIN)
    )
    assert "5.NBT.B.7" in {c for g in planning.json()["goals"] for c in g["skill_codes"]}
    gone = await client.delete(
        path(21, f"goals/{goal['id']}"), headers={**client.as_(me), "If-Match": ok.headers["etag"]}
    )
    assert gone.status_code == 204
    history = (await client.get(path(21, "history"), headers=client.as_(ADMIN))).json()["items"]
    assert [h["part"] for h in history[-3:]] == ["goal", "goal", "goal"]
    assert history[-1]["after"] == {} and history[-1]["before"]["title"] == "Divide decimals"


@pytest.mark.parametrize(
    "body",
    [
        {"pace": "turbo"},
        {"colour": "red"},
        {},
        {"interests": ["x" * 61]},
        {"interests": ["a"] * 31},
        {"accommodations": [{"term": "jetpack"}]},
        {"accommodations": [{"term": "large_print", "factor": 2}]},
        {"accommodations": [{"term": "extended_time", "factor": 50}]},
        {"languages": {"home": ["not a language"]}},
        {"languages": {"home": ["es"], "english_proficiency": 9}},
        {"preferred_formats": ["smell"]},
        {"strengths": None},
        {"notes": "x" * 5001},
    ],
)
async def test_profile_bad_input(client: ServiceClient, body: dict[str, Any]) -> None:
    response = await client.patch(
        path(4), json=body, headers={**client.as_(ADMIN), "If-Match": "*"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "body",
    [
        {"term": "medium", "title": "x"},
        {"term": "short", "title": ""},
        {"term": "short", "title": "x", "skill_codes": ["not a code"]},
        {"term": "short", "title": "x", "target_date": "2027-13-01"},
        {"term": "short", "title": "x", "progress": 1.5},
    ],
)
async def test_goal_bad_input(client: ServiceClient, body: dict[str, Any]) -> None:
    response = await client.post(path(4, "goals"), json=body, headers=client.as_(ADMIN))
    assert response.status_code == 422, response.text


async def test_unknown_learner_is_404(client: ServiceClient) -> None:
    response = await client.get(f"/v1/learners/{DEMO_DISTRICT}/profile", headers=client.as_(ADMIN))
    assert response.status_code == 404
