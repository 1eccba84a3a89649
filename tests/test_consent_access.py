"""A guardian's consent through the real gateway: the consent routes declare the "consent"
action (a guardian acting for their own child), which only a guardian of that learner holds. A
teacher of the learner who is also a guardian (of another child) held the old "read" relation
and so reached the service, whose own check asks only for the guardian role: the consent action
is what refuses them now. The audit log records the act as "consent", not as a read."""

import uuid

import httpx
import pytest

from pathwise_devstack.testing import dev_login, gateway_token
from pathwise_pathways.seed import FIELD_TRIP_ID
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

CHILD = demo_id("learner", "learner-11")  # guardian-11's child, in teacher-02's grade 4 class
URL = f"/v1/learners/{CHILD}/consents"
BODY = {"activity_id": str(FIELD_TRIP_ID), "note": "Fine by us."}


def _as(user: str, *roles: str, district: uuid.UUID | None = None) -> dict[str, str]:
    """A token of a demo user (or a stranger of another district) holding exactly ``roles``."""
    uid = demo_id("user", user) if district is None else uuid.uuid4()
    where = district or demo_id("district", "riverside")
    principal = Principal(subject=str(uid), district_id=where, roles=frozenset(roles),
                          user_id=uid)  # fmt: skip
    return gateway_token(principal, ttl_seconds=300)


def _type(response: httpx.Response) -> str:
    return str(response.json().get("type", "")).rsplit("/", 1)[-1]


def test_consent_routes_declare_the_consent_action(gw: httpx.Client) -> None:
    paths = gw.get("/openapi.json").json()["paths"]
    declared = {
        ("post", URL.replace(str(CHILD), "{learner_id}")): "consent",
        ("delete", "/v1/learners/{learner_id}/consents/{activity_id}"): "consent",
        ("get", "/v1/learners/{learner_id}/consents"): "read",
    }
    for (method, path), action in declared.items():
        assert paths[path][method]["x-pathwise-access"]["action"] == action, (method, path)


@pytest.mark.parametrize(
    ("who", "headers_of"),
    [
        ("a guardian of another child", lambda gw: dev_login(gw, "guardian-01")),
        # teacher-02 teaches learner-11: the read relation admitted this token before.
        ("the learner's teacher who is a guardian", lambda gw: _as("teacher-02", "teacher", "guardian")),
        ("a school admin who is a guardian", lambda gw: _as("admin-riverside-elementary", "school_admin", "guardian")),
        ("a district admin who is a guardian", lambda gw: _as("admin-district", "district_admin", "guardian")),
    ],
)  # fmt: skip
def test_only_a_guardian_of_the_learner_gives_or_withdraws_consent(
    gw: httpx.Client, who: str, headers_of: object
) -> None:
    headers = headers_of(gw)  # type: ignore[operator]
    given = gw.post(URL, json=BODY, headers=headers)
    assert given.status_code == 403, (who, given.text)
    assert _type(given) == "learner-forbidden" and given.json()["check"] == "object"
    withdrawn = gw.delete(f"{URL}/{FIELD_TRIP_ID}", headers=headers)
    assert withdrawn.status_code == 403, (who, withdrawn.text)
    assert _type(withdrawn) == "learner-forbidden"


def test_a_guardian_of_another_district_finds_no_learner(gw: httpx.Client) -> None:
    stranger = _as("-", "guardian", district=uuid.uuid4())
    assert gw.post(URL, json=BODY, headers=stranger).status_code == 404
    assert gw.delete(f"{URL}/{FIELD_TRIP_ID}", headers=stranger).status_code == 404


def test_the_guardian_consents_and_the_audit_says_consent(gw: httpx.Client) -> None:
    guardian = dev_login(gw, "guardian-11")
    trace = f"consent-{uuid.uuid4().hex[:12]}"
    given = gw.post(URL, json=BODY, headers={**guardian, "X-Request-ID": trace})
    assert given.status_code in (200, 201), given.text
    assert str(CHILD) in [c["learner_id"] for c in gw.get(URL, headers=guardian).json()]
    withdrawn = gw.delete(f"{URL}/{FIELD_TRIP_ID}", headers={**guardian, "X-Request-ID": trace})
    assert withdrawn.status_code == 204, withdrawn.text
    again = gw.delete(f"{URL}/{FIELD_TRIP_ID}", headers=guardian)
    assert again.status_code == 404 and _type(again) == "consent-not-found"

    # The learner's audit with its actions is the administrators' (the guardian reads it in plain
    # words as the access log).
    seen = gw.get(f"/v1/audit/learners/{CHILD}", headers=dev_login(gw, "admin-district"))
    assert seen.status_code == 200, seen.text
    mine = [e for e in seen.json()["items"] if e["request_id"] == trace]
    assert sorted((e["method"], e["action"], e["status"]) for e in mine) == [
        ("DELETE", "consent", 204), ("POST", "consent", given.status_code)
    ]  # fmt: skip
