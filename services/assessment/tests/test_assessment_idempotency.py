"""``Idempotency-Key`` in the assessment service (the rules of ``pathwise_shared.idempotency``):
keys are the caller's, a stored key only answers the same request, and two requests racing with
one key give one resource and a 409, never a 500."""

import asyncio
import uuid

from pathwise_assessment.seed import DEMO_DISTRICT, check_id
from pathwise_devstack.profiles_fixtures import learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.auth import Principal

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
OTHER_TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
CHOICES = [{"id": "a", "text": "54"}, {"id": "b", "text": "56"}]
REUSED = "https://pathwise.dev/problems/idempotency-key-reused"


def item_body(stem: str) -> dict[str, object]:
    return {
        "stem": stem,
        "skill_codes": ["3.OA.C.7"],
        "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
    }


def keyed(api: ServiceClient, who: Principal, key: str) -> dict[str, str]:
    return {**api.as_(who), "Idempotency-Key": key}


async def test_items_keys_are_the_callers_and_bound_to_the_request(api: ServiceClient) -> None:
    key = f"k-{uuid.uuid4()}"
    first = await api.post("/v1/items", json=item_body("Mine?"), headers=keyed(api, TEACHER, key))
    assert first.status_code == 201, first.text
    # Another teacher of the same district with the same key: her own item, not the first one.
    hers = await api.post(
        "/v1/items", json=item_body("Hers?"), headers=keyed(api, OTHER_TEACHER, key)
    )
    assert hers.status_code == 201, hers.text
    assert hers.json()["id"] != first.json()["id"] and hers.json()["stem"] == "Hers?"
    # The same caller, key and request: the first item, marked as a replay.
    again = await api.post("/v1/items", json=item_body("Mine?"), headers=keyed(api, TEACHER, key))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same caller and key with another body: 422, not the first item.
    other = await api.post(
        "/v1/items", json=item_body("Changed?"), headers=keyed(api, TEACHER, key)
    )
    assert other.status_code == 422, other.text
    assert other.json()["type"] == REUSED


async def test_attempt_keys_are_bound_to_the_request(api: ServiceClient) -> None:
    key = f"start-{uuid.uuid4()}"
    url = f"/v1/assessments/{check_id('3.OA.C.7')}/attempts"
    first = await api.post(
        url, json={"learner_id": str(learner(5))}, headers=keyed(api, TEACHER, key)
    )
    assert first.status_code == 201, first.text
    again = await api.post(
        url, json={"learner_id": str(learner(5))}, headers=keyed(api, TEACHER, key)
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await api.post(
        url, json={"learner_id": str(learner(6))}, headers=keyed(api, TEACHER, key)
    )
    assert other.status_code == 422 and other.json()["type"] == REUSED


async def test_racing_requests_with_one_key_make_one_item(api: ServiceClient) -> None:
    """What a gateway retry after a lease take-over can cause while the first call still runs."""
    key = f"race-{uuid.uuid4()}"
    answers = await asyncio.gather(
        *(
            api.post("/v1/items", json=item_body("Race?"), headers=keyed(api, TEACHER, key))
            for _ in range(4)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert all(s in (200, 201, 409) for s in statuses), [a.text for a in answers]
    assert statuses.count(201) == 1, statuses
    for busy in (a for a in answers if a.status_code == 409):
        assert busy.json()["type"] == "https://pathwise.dev/problems/idempotency-key-in-progress"
        assert busy.headers["Retry-After"] == "1"
    created = next(a for a in answers if a.status_code == 201).json()["id"]
    assert all(a.json()["id"] == created for a in answers if a.status_code == 200)
