"""Open Badges credentials end to end, through the real gateway in front of the real services.

A demo learner masters a skill by answering its skill check, asks for a credential for it and
for a completed goal of theirs (profiles owns goals: assessment asks it), and downloads them;
anyone verifies them without a token (the public verification endpoint, and joserfc with the
district's public JWKS, checked against 1EdTech's OB 3.0 schema); the learner's teacher revokes
them and the verification, and the district's signed status list read independently (its
signature checked with the JWKS, the bitstring decoded), then say revoked. Refused: a credential
for a skill not mastered or a goal not completed (409 problems), for another learner's goal
(404), one asked for in another learner's name, and every tokenless call to an operation not
declared anonymous.
"""

import base64
import gzip
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from pathwise_devstack.testing import dev_login, take_check
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

# learner-05: grade 3 math (teacher-01); no other test of this stack uses them.
LEARNER = demo_id("learner", "learner-05")
DISTRICT = demo_id("district", "riverside")
SKILL = "3.NF.A.1"


def master(gw: httpx.Client, headers: dict[str, str]) -> None:
    for _ in range(4):
        take_check(gw, SKILL, LEARNER, headers)
        states = gw.get(f"/v1/learners/{LEARNER}/mastery", headers=headers).json()["skills"]
        if any(s["skill_code"] == SKILL and s["mastered"] for s in states):
            return
    raise AssertionError(f"{SKILL} not mastered after four checks answered right")


SCHEMA = json.loads(
    (
        Path(__file__).parents[1]
        / "services/assessment/tests/fixtures/ob3/ob_v3p0_achievementcredential_schema.json"
    ).read_text()
)


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft201909Validator(
        SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    ).validate(document)


def independently(gw: httpx.Client, token: str) -> tuple[dict[str, Any], bool]:
    """A verifier that is not Pathwise: joserfc with the published JWKS for the credential, then
    the status list the credential names, fetched without a token, its signature checked with the
    same JWKS, its bitstring decoded by hand. (The credential, revoked?)"""
    jwks = gw.get(f"/v1/public/districts/{DISTRICT}/jwks.json")
    assert jwks.status_code == 200, jwks.text
    keys = KeySet.import_key_set(jwks.json())
    credential = json.loads(jws.deserialize_compact(token, keys, algorithms=["EdDSA"]).payload)
    validate(credential)
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    listed = gw.get(urlsplit(status["statusListCredential"]).path)
    assert listed.status_code == 200, listed.text
    assert listed.headers["content-type"].startswith("application/vc+jwt")
    status_list = json.loads(
        jws.deserialize_compact(listed.text, keys, algorithms=["EdDSA"]).payload
    )
    assert "BitstringStatusListCredential" in status_list["type"]
    assert status_list["id"] == status["statusListCredential"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == status["statusPurpose"] == "revocation"
    encoded = subject["encodedList"][1:]
    assert subject["encodedList"][0] == "u"
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    assert len(bits) >= 16 * 1024
    index = int(status["statusListIndex"])
    return credential, bool(bits[index // 8] & (0x80 >> (index % 8)))


def new_goal(gw: httpx.Client, learner_id: uuid.UUID, headers: dict[str, str], status: str) -> str:
    made = gw.post(
        f"/v1/learners/{learner_id}/goals",
        json={"term": "short", "title": "Unit fractions", "skill_codes": [SKILL], "status": status},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


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
    # A goal: not completed, then completed but its skill not mastered; another learner's: 404.
    active_goal = new_goal(gw, LEARNER, learner, "active")
    goal = new_goal(gw, LEARNER, learner, "achieved")
    not_done = gw.post(credentials, json={"goal_id": active_goal}, headers=learner)
    assert not_done.status_code == 409, not_done.text
    assert not_done.headers["content-type"] == "application/problem+json"
    assert not_done.json()["type"].endswith("/goal-not-completed")
    unmastered = gw.post(credentials, json={"goal_id": goal}, headers=learner)
    assert unmastered.status_code == 409, unmastered.text
    assert unmastered.json()["type"].endswith("/goal-skills-not-mastered")
    other_learner = demo_id("learner", "learner-04")
    theirs = new_goal(gw, other_learner, dev_login(gw, "learner-04"), "achieved")
    not_mine = gw.post(credentials, json={"goal_id": theirs}, headers=learner)
    assert not_mine.status_code == 404, not_mine.text
    assert not_mine.json()["type"].endswith("/goal-not-found")
    assert gw.get(credentials, headers=learner).json()["items"] == []

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
    assert independently(gw, token) == (decoded, False)

    # The completed goal, its skill now mastered: a credential too, verified the same ways.
    goal_issued = gw.post(
        credentials,
        json={"goal_id": goal},
        headers={**learner, "Idempotency-Key": f"credential-{uuid.uuid4()}"},
    )
    assert goal_issued.status_code == 201, goal_issued.text
    goal_id_out, goal_token = goal_issued.json()["id"], goal_issued.json()["jwt"]
    assert goal_issued.json()["goal_id"] == goal
    goal_download = gw.get(f"{credentials}/{goal_id_out}/jwt", headers=learner)
    assert goal_download.status_code == 200 and goal_download.text == goal_token
    assert verify(gw, goal_token)["verified"] is True
    goal_credential, goal_revoked = independently(gw, goal_token)
    assert goal_revoked is False
    assert goal_credential["credentialSubject"]["achievement"]["tag"] == [SKILL]
    assert goal_credential["credentialSubject"]["achievement"]["id"].endswith(f":goal:{goal}")

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

    # The learner's teacher revokes them; the signed status list and the verification say so.
    teacher = dev_login(gw, "teacher-01")
    for revoking, jwt in ((credential_id, token), (goal_id_out, goal_token)):
        revoked = gw.post(
            f"{credentials}/{revoking}/revoke", json={"reason": "demo"}, headers=teacher
        )
        assert revoked.status_code == 200, revoked.text
        checked = verify(gw, jwt)
        assert checked["verified"] is False and checked["reason"] == "revoked"
        assert independently(gw, jwt)[1] is True
