"""Open Badges credentials end to end, through the real gateway in front of the real services.

A demo learner masters a skill by answering its skill check, asks for a credential and
downloads it; anyone verifies it without a token (the public verification endpoint, and joserfc
with the district's public JWKS); the learner's teacher revokes it and the verification then
says revoked. Refused: a credential for a skill not mastered (a 409 problem), one asked for in
another learner's name, and every tokenless call to an operation not declared anonymous.
"""

import json
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from pathwise_assessment.seed import check_id, item_id
from pathwise_assessment.seed_items import DEMO_ITEMS
from pathwise_devstack.testing import dev_login, right_answer
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

# learner-05: grade 3 math (teacher-01); no other test of this stack uses them.
LEARNER = demo_id("learner", "learner-05")
DISTRICT = demo_id("district", "riverside")
SKILL = "3.NF.A.1"


def master(gw: httpx.Client, headers: dict[str, str]) -> None:
    keys = {item_id(SKILL, n): raw["spec"] for n, raw in enumerate(DEMO_ITEMS[SKILL], start=1)}
    for _ in range(4):
        started = gw.post(
            f"/v1/assessments/{check_id(SKILL)}/attempts",
            json={"learner_id": str(LEARNER)},
            headers=headers,
        )
        assert started.status_code == 201, started.text
        attempt = started.json()
        for shown in attempt["items"]:
            put = gw.put(
                f"/v1/attempts/{attempt['id']}/responses/{shown['item_id']}",
                json={"answer": right_answer(keys[uuid.UUID(shown["item_id"])])},
                headers=headers,
            )
            assert put.status_code == 200, put.text
        assert gw.post(f"/v1/attempts/{attempt['id']}/finish", headers=headers).status_code == 200
        states = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=headers).json()["skills"]
        if any(s["skill_code"] == SKILL and s["mastered"] for s in states):
            return
    raise AssertionError(f"{SKILL} not mastered after four checks answered right")


def verify(gw: httpx.Client, token: str) -> dict[str, Any]:
    # No Authorization header at all: the verification is public.
    answer = gw.post("/v1/public/credentials/verify", json={"credential": token})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")  # "EdDSA" (RFC 9864)
def test_a_learner_earns_shares_and_loses_a_credential(gw: httpx.Client) -> None:
    learner = dev_login(gw, "learner-05")
    credentials = f"/v1/learners/{LEARNER}/credentials"

    # Not mastered yet: a problem, nothing issued.
    early = gw.post(credentials, json={"skill_code": SKILL}, headers=learner)
    assert early.status_code == 409, early.text
    assert early.headers["content-type"] == "application/problem+json"
    assert early.json()["type"].endswith("/skill-not-mastered")

    master(gw, learner)
    # Another learner cannot ask in this learner's name (the gateway's relation check).
    other = gw.post(credentials, json={"skill_code": SKILL}, headers=dev_login(gw, "learner-04"))
    assert other.status_code in (403, 404), other.text
    assert other.headers["content-type"] == "application/problem+json"

    issued = gw.post(
        credentials,
        json={"skill_code": SKILL},
        headers={**learner, "Idempotency-Key": f"credential-{uuid.uuid4()}"},
    )
    assert issued.status_code == 201, issued.text
    credential_id, token = issued.json()["id"], issued.json()["jwt"]
    download = gw.get(f"{credentials}/{credential_id}/jwt", headers=learner)
    assert download.status_code == 200 and download.text == token
    assert download.headers["content-type"].startswith("application/vc+jwt")
    assert download.headers["content-disposition"].startswith("attachment")
    decoded = gw.get(f"{credentials}/{credential_id}", headers=learner).json()["credential"]
    assert decoded["credentialSubject"]["achievement"]["humanCode"] == SKILL

    # Anyone verifies it, without a token: the endpoint, and joserfc with the public JWKS.
    assert verify(gw, token)["verified"] is True
    jwks = gw.get(f"/v1/public/districts/{DISTRICT}/jwks.json")
    assert jwks.status_code == 200, jwks.text
    found = jws.deserialize_compact(token, KeySet.import_key_set(jwks.json()), algorithms=["EdDSA"])
    assert json.loads(found.payload) == decoded
    issuer = gw.get(f"/v1/public/districts/{DISTRICT}/issuer")
    assert issuer.status_code == 200 and issuer.json()["id"] == decoded["issuer"]["id"]

    # Without a token, nothing that is not declared anonymous is reached: 401, body unread.
    for method, path, body in (
        ("GET", credentials, None),
        ("POST", credentials, b"{not json"),
        ("GET", f"{credentials}/{credential_id}/jwt", None),
        ("POST", f"{credentials}/{credential_id}/revoke", b"{}"),
        ("GET", f"/v1/learners/{LEARNER}/mastery", None),
    ):
        answer = gw.request(
            method, path, content=body, headers={"content-type": "application/json"}
        )
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")

    # The learner's teacher revokes it; the status list and the verification say so.
    teacher = dev_login(gw, "teacher-01")
    revoked = gw.post(
        f"{credentials}/{credential_id}/revoke", json={"reason": "demo"}, headers=teacher
    )
    assert revoked.status_code == 200, revoked.text
    checked = verify(gw, token)
    assert checked["verified"] is False and checked["reason"] == "revoked"
    status = gw.get(f"/v1/public/districts/{DISTRICT}/credentials/status")
    assert status.status_code == 200
    assert status.json()["credentialSubject"]["statusPurpose"] == "revocation"
