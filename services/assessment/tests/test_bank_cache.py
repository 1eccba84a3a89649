"""``/next`` reads its bank from a cache (``items_repo.cached_bank``): an item write must change
what it can choose at once, never after a stale bank's expiry.

Each test fills the cache with a first ``/next``, writes an item, and asks again: a stale bank
would serve the old choice (or none).
"""

import uuid
from typing import Any

from pathwise_assessment.repository.cache import DistrictCache
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_devstack.testing import ServiceClient, make_principal

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
CHOICES = [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}]


def _item(code: str, stem: str) -> dict[str, Any]:
    return {
        "stem": stem,
        "skill_codes": [code],
        "spec": {"type": "single_choice", "choices": CHOICES, "correct": "b"},
    }


async def _post(api: ServiceClient, path: str, body: Any = None) -> dict[str, Any]:
    made = await api.post(path, headers=api.as_(TEACHER), json=body)
    assert made.status_code in (200, 201), made.text
    result: dict[str, Any] = made.json()
    return result


async def _adaptive_attempt(api: ServiceClient, code: str) -> str:
    check = await _post(
        api,
        "/v1/assessments",
        {"kind": "adaptive", "title": "Bank cache", "skill_codes": [code], "max_items": 5},
    )
    attempt = await _post(
        api, f"/v1/assessments/{check['id']}/attempts", {"learner_id": str(uuid.uuid4())}
    )
    return str(attempt["id"])


async def test_an_edit_that_moves_an_item_out_of_the_skill_empties_its_bank(
    api: ServiceClient,
) -> None:
    code = "2.MD.A.2"
    item = await _post(api, "/v1/items", _item(code, "Only item of the bank"))
    first = await _post(api, f"/v1/attempts/{await _adaptive_attempt(api, code)}/next")
    assert first["item"]["item_id"] == item["id"]  # the bank {item} is cached now
    edited = await api.put(
        f"/v1/items/{item['id']}",
        headers=api.as_(TEACHER),
        json=_item("2.OA.C.3", "Moved to another skill"),
    )
    assert edited.status_code == 200, edited.text
    after = await _post(api, f"/v1/attempts/{await _adaptive_attempt(api, code)}/next")
    assert after["done"] is True
    assert after["item"] is None


async def test_a_new_item_is_chosen_once_the_cached_bank_is_used_up(api: ServiceClient) -> None:
    code = "2.MD.B.6"
    item = await _post(api, "/v1/items", _item(code, "First item"))
    attempt = await _adaptive_attempt(api, code)
    first = await _post(api, f"/v1/attempts/{attempt}/next")
    assert first["item"]["item_id"] == item["id"]
    answered = await api.put(
        f"/v1/attempts/{attempt}/responses/{item['id']}",
        headers=api.as_(TEACHER),
        json={"answer": {"choice": "b"}},
    )
    assert answered.status_code == 200, answered.text
    added = await _post(api, "/v1/items", _item(code, "Second item"))
    second = await _post(api, f"/v1/attempts/{attempt}/next")
    assert second["done"] is False
    assert second["item"]["item_id"] == added["id"]


def test_a_value_read_before_an_invalidation_is_not_stored() -> None:
    cache: DistrictCache[str, int] = DistrictCache()
    district = uuid.uuid4()
    generation = cache.generation(district)
    cache.invalidate(district)  # a write landed while the value was being read
    cache.put(district, "k", 1, generation)
    assert cache.get(district, "k") is None
    cache.put(district, "k", 2, cache.generation(district))
    assert cache.get(district, "k") == 2
    cache.invalidate(district)
    assert cache.get(district, "k") is None
    assert cache.get(uuid.uuid4(), "k") is None
