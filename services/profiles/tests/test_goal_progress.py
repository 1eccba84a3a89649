"""``PUT /internal/learners/{id}/goal-progress``: a goal's progress from mastery, pushed by
pathways (system only); goals whose skills are not named keep their value."""

from typing import Any

from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT, as_learner, as_user, learner
from pathwise_devstack.testing import ServiceClient
from pathwise_profiles.seed import DEMO_DISTRICT
from pathwise_shared.auth import Principal

PATHWAYS = Principal(
    subject="system:pathways-goal-progress", kind="system", district_id=DEMO_DISTRICT
)
ELSEWHERE = Principal(
    subject="system:pathways-goal-progress", kind="system", district_id=OTHER_DISTRICT
)


async def _goal(client: ServiceClient, n: int, codes: list[str]) -> dict[str, Any]:
    made = await client.post(
        f"/v1/learners/{learner(n)}/goals",
        json={"term": "short", "title": "Fractions", "skill_codes": codes},
        headers=client.as_(as_learner(n)),
    )
    assert made.status_code == 201, made.text
    goal: dict[str, Any] = made.json()
    return goal


async def _goals(client: ServiceClient, n: int) -> dict[str, dict[str, Any]]:
    got = await client.get(f"/v1/learners/{learner(n)}/goals", headers=client.as_(as_learner(n)))
    assert got.status_code == 200, got.text
    body = got.json()
    items = body["items"] if isinstance(body, dict) else body
    return {g["id"]: g for g in items}


async def test_progress_from_the_pushed_skills(client: ServiceClient) -> None:
    both = await _goal(client, 22, ["4.NF.A.1", "4.NF.A.2"])
    other = await _goal(client, 22, ["5.NBT.B.7"])
    url = f"/internal/learners/{learner(22)}/goal-progress"
    body = {
        "skills": [
            {"skill_code": "4.NF.A.1", "needed": 4, "done": 3},
            {"skill_code": "4.NF.A.2", "needed": 6, "done": 2},
        ]
    }
    pushed = await client.put(url, json=body, headers=client.as_(PATHWAYS))
    assert pushed.status_code == 200, pushed.text
    assert pushed.json() == {"updated": 1}
    goals = await _goals(client, 22)
    assert goals[both["id"]]["progress"] == 0.5  # (3 + 2) / (4 + 6)
    assert goals[both["id"]]["version"] == both["version"] + 1
    assert goals[other["id"]]["progress"] == other["progress"]  # not on the pathway
    # The same push again changes nothing.
    again = await client.put(url, json=body, headers=client.as_(PATHWAYS))
    assert again.json() == {"updated": 0}
    # Another district's system principal reaches none of this learner's goals.
    foreign = await client.put(
        url,
        json={"skills": [{"skill_code": "4.NF.A.1", "needed": 1, "done": 1}]},
        headers=client.as_(ELSEWHERE),
    )
    assert foreign.status_code == 200 and foreign.json() == {"updated": 0}
    assert (await _goals(client, 22))[both["id"]]["progress"] == 0.5


async def test_only_the_system_pushes_and_bad_bodies_are_problems(client: ServiceClient) -> None:
    url = f"/internal/learners/{learner(22)}/goal-progress"
    body = {"skills": [{"skill_code": "4.NF.A.1", "needed": 1, "done": 1}]}
    for principal in (as_user("teacher-21", "teacher"), as_learner(22)):
        refused = await client.put(url, json=body, headers=client.as_(principal))
        assert refused.status_code == 403, refused.text
    bad_bodies = [
        {},
        {"skills": [{"skill_code": "4.NF.A.1", "needed": -1, "done": 0}]},
        {"skills": [{"skill_code": "", "needed": 1, "done": 0}]},
        {"skills": [{"skill_code": "4.NF.A.1", "needed": "1", "done": 0}]},
        {"skills": [], "extra": True},
    ]
    for bad in bad_bodies:
        answer = await client.put(url, json=bad, headers=client.as_(PATHWAYS))
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
