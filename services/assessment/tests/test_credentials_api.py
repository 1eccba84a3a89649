"""Open Badges credentials through the assessment API: the learner asks for one for a skill they
mastered by answering, or for a goal of theirs (the real profiles app beside) that is completed
with its target skills mastered; it validates against 1EdTech's OB 3.0 schema and verifies with
joserfc against the published JWKS; a teacher revokes it and the signed status list (verified
with joserfc too) and the verification say so. Refusals: not mastered, a goal not completed or
not the learner's, someone else's credential, a second one, a student revoking, profiles down.
The public routes take the anonymous principal; the learner's routes refuse it."""

import asyncio
import base64
import gzip
import json
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from joserfc import jws
from joserfc.jwk import KeySet
from sqlalchemy import select

from pathwise_assessment.domain import credentials as vc
from pathwise_assessment.models import outbox
from pathwise_assessment.seed import DEMO_DISTRICT
from pathwise_assessment.service import credentials as service
from pathwise_devstack.profiles_fixtures import OTHER_DISTRICT, OTHER_LEARNER, learner
from pathwise_devstack.testing import ServiceClient, make_principal
from pathwise_shared.auth import ANONYMOUS
from pathwise_shared.db import Database

sys.path.insert(0, str(Path(__file__).parent))
from test_assessment_mastery_api import make_check, make_items, take  # type: ignore[import-not-found]

TEACHER = make_principal(DEMO_DISTRICT, roles=["teacher"])
SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures/ob3/ob_v3p0_achievementcredential_schema.json").read_text()
)
PUBLIC = f"/v1/public/districts/{DEMO_DISTRICT}"


def student(learner_id: uuid.UUID) -> Any:
    return make_principal(DEMO_DISTRICT, roles=["student"], user_id=learner_id)


async def master(api: ServiceClient, code: str, learner_id: uuid.UUID) -> None:
    items = await make_items(api, code, 5)
    await take(api, await make_check(api, code, items), learner_id, "b")


async def events_of(api: ServiceClient, type_: str) -> list[dict[str, Any]]:
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(outbox.c.envelope).where(outbox.c.event_type == type_).order_by(outbox.c.id)
            )
            return [r[0]["data"] for r in rows]
    finally:
        await db.dispose()


def validate(document: dict[str, Any]) -> None:
    """1EdTech's OB 3.0 AchievementCredential schema, with formats checked."""
    jsonschema.Draft201909Validator(
        SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    ).validate(document)


async def revoked_in_signed_list(api: ServiceClient, credential: dict[str, Any]) -> bool:
    """What a verifier elsewhere does: fetch the list the credential names (no token), verify
    its signature with the district's JWKS (joserfc), decode the bitstring, read the bit."""
    status = credential["credentialStatus"]
    path = status["statusListCredential"].removeprefix(api.app.state.settings.gateway_url)
    fetched = await api.get(path, headers=api.as_(ANONYMOUS))
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"].startswith("application/vc+jwt")
    district = credential["issuer"]["id"].split("/districts/")[1].split("/")[0]
    published = await api.get(
        f"/v1/public/districts/{district}/jwks.json", headers=api.as_(ANONYMOUS)
    )
    keys = KeySet.import_key_set(published.json())
    found = jws.deserialize_compact(fetched.text, keys, algorithms=["EdDSA"])
    assert found.protected["typ"] == "vc+jwt"
    document = json.loads(found.payload)
    assert "BitstringStatusListCredential" in document["type"]
    assert document["id"] == status["statusListCredential"]
    subject = document["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) >= 16 * 1024  # the spec's minimum: herd privacy
    index = int(status["statusListIndex"])
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


async def verify(api: ServiceClient, token: str) -> dict[str, Any]:
    got = await api.post(
        "/v1/public/credentials/verify", headers=api.as_(ANONYMOUS), json={"credential": token}
    )
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")  # "EdDSA" (RFC 9864)
async def test_issue_download_verify_revoke(api: ServiceClient) -> None:
    code, learner_id = "6.RP.A.1", uuid.uuid4()
    await master(api, code, learner_id)
    me = api.as_(student(learner_id))
    issued = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers={**me, "Idempotency-Key": "cred-1"},
        json={"skill_code": code},
    )
    assert issued.status_code == 201, issued.text
    body = issued.json()
    credential_id, token = body["id"], body["jwt"]
    # The payload is an OB 3.0 AchievementCredential (1EdTech's schema, with formats checked).
    jsonschema.Draft201909Validator(
        SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    ).validate(body["credential"])
    assert body["credential"]["credentialSubject"]["id"] == f"urn:uuid:{learner_id}"
    # Replayed with its key: the same credential; the key with another body: 422.
    again = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers={**me, "Idempotency-Key": "cred-1"},
        json={"skill_code": code},
    )
    assert again.status_code == 200 and again.json()["id"] == credential_id
    reused = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers={**me, "Idempotency-Key": "cred-1"},
        json={"skill_code": "6.RP.A.2"},
    )
    assert reused.status_code == 422
    twice = await api.post(
        f"/v1/learners/{learner_id}/credentials", headers=me, json={"skill_code": code}
    )
    assert twice.status_code == 409, twice.text
    assert twice.json()["type"].endswith("/credential-exists")
    # credential.issued went out with it, thin.
    issued_events = [e for e in await events_of(api, "credential.issued") if e["credential_id"] == credential_id]  # fmt: skip
    assert issued_events == [
        {"learner_id": str(learner_id), "credential_id": credential_id, "skill_code": code}
    ]

    # The download is the compact JWT, as a file.
    download = await api.get(
        f"/v1/learners/{learner_id}/credentials/{credential_id}/jwt", headers=me
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vc+jwt")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text == token
    listed = await api.get(f"/v1/learners/{learner_id}/credentials", headers=api.as_(TEACHER))
    assert [c["id"] for c in listed.json()["items"]] == [credential_id]

    # Independent verification: joserfc, with the JWKS the district publishes (no user).
    published = await api.get(f"{PUBLIC}/jwks.json", headers=api.as_(ANONYMOUS))
    assert published.status_code == 200, published.text
    keys = KeySet.import_key_set(published.json())
    assert all("d" not in k for k in published.json()["keys"])  # never the private half
    found = jws.deserialize_compact(token, keys, algorithms=["EdDSA"])
    assert json.loads(found.payload) == body["credential"]
    profile = (await api.get(f"{PUBLIC}/issuer", headers=api.as_(ANONYMOUS))).json()
    assert profile["id"] == body["credential"]["issuer"]["id"]
    assert (await verify(api, token))["verified"] is True
    assert await revoked_in_signed_list(api, body["credential"]) is False

    # A teacher revokes: its bit is set, the verification says revoked, an event goes out.
    index = int(body["credential"]["credentialStatus"]["statusListIndex"])
    revoked = await api.post(
        f"/v1/learners/{learner_id}/credentials/{credential_id}/revoke",
        headers=api.as_(TEACHER),
        json={"reason": "entered in error"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert await revoked_in_signed_list(api, body["credential"])
    signed_list = (await api.get(f"{PUBLIC}/credentials/status", headers=api.as_(ANONYMOUS))).text
    assert vc.StatusList.decode(
        vc.parse_compact(signed_list).payload["credentialSubject"]["encodedList"]
    ).get(index)
    checked = await verify(api, token)
    assert checked["verified"] is False and checked["reason"] == "revoked"
    revoked_events = await events_of(api, "credential.revoked")
    assert [e["credential_id"] for e in revoked_events].count(credential_id) == 1
    # Revoking again changes nothing and publishes nothing.
    await api.post(
        f"/v1/learners/{learner_id}/credentials/{credential_id}/revoke",
        headers=api.as_(TEACHER),
        json={},
    )
    assert len(await events_of(api, "credential.revoked")) == len(revoked_events)
    # A revoked credential no longer blocks asking for a new one.
    renewed = await api.post(
        f"/v1/learners/{learner_id}/credentials", headers=me, json={"skill_code": code}
    )
    assert renewed.status_code == 201, renewed.text


async def test_refusals(api: ServiceClient) -> None:
    code, learner_id, other = "6.RP.A.3", uuid.uuid4(), uuid.uuid4()
    me = api.as_(student(learner_id))
    # Not mastered: a 409 problem, nothing stored, nothing published.
    before = len(await events_of(api, "credential.issued"))
    refused = await api.post(
        f"/v1/learners/{learner_id}/credentials", headers=me, json={"skill_code": code}
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/skill-not-mastered")
    listed = await api.get(f"/v1/learners/{learner_id}/credentials", headers=me)
    assert listed.json()["items"] == []
    assert len(await events_of(api, "credential.issued")) == before
    await master(api, code, learner_id)
    # Another learner cannot ask for one in this learner's name, nor read theirs.
    for_other = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers=api.as_(student(other)),
        json={"skill_code": code},
    )
    assert for_other.status_code == 403
    assert for_other.json()["type"].endswith("/not-the-learner")
    # Nor may a teacher issue it for them: the learner asks.
    by_teacher = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers=api.as_(TEACHER),
        json={"skill_code": code},
    )
    assert by_teacher.status_code == 403
    issued = await api.post(
        f"/v1/learners/{learner_id}/credentials", headers=me, json={"skill_code": code}
    )
    assert issued.status_code == 201
    credential_id = issued.json()["id"]
    peek = await api.get(
        f"/v1/learners/{learner_id}/credentials/{credential_id}", headers=api.as_(student(other))
    )
    assert peek.status_code == 404
    # A student does not revoke, not even their own.
    self_revoke = await api.post(
        f"/v1/learners/{learner_id}/credentials/{credential_id}/revoke", headers=me, json={}
    )
    assert self_revoke.status_code == 403
    # Under another learner's path the credential does not exist.
    wrong_path = await api.post(
        f"/v1/learners/{other}/credentials/{credential_id}/revoke",
        headers=api.as_(TEACHER),
        json={},
    )
    assert wrong_path.status_code == 404


async def test_the_anonymous_principal_reaches_only_anonymous_routes(api: ServiceClient) -> None:
    learner_id = uuid.uuid4()
    anonymous = api.as_(ANONYMOUS)
    for method, path in (
        ("GET", f"/v1/learners/{learner_id}/credentials"),
        ("GET", f"/v1/learners/{learner_id}/mastery"),
    ):
        got = await api.request(method, path, headers=anonymous)
        assert got.status_code == 403, (path, got.text)
    issue = await api.post(
        f"/v1/learners/{learner_id}/credentials", headers=anonymous, json={"skill_code": "6.RP.A.1"}
    )
    assert issue.status_code == 403
    # A district that never issued has no key to publish.
    missing = await api.get(f"/v1/public/districts/{uuid.uuid4()}/jwks.json", headers=anonymous)
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/issuer-not-found")


async def test_verification_says_why_not(api: ServiceClient) -> None:
    code, learner_id = "6.RP.A.2", uuid.uuid4()
    await master(api, code, learner_id)
    issued = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers=api.as_(student(learner_id)),
        json={"skill_code": code},
    )
    token = issued.json()["jwt"]
    header, payload, signature = token.split(".")
    # Another skill in the payload under the same signature.
    forged = dict(issued.json()["credential"], name="Mastery of everything")
    changed = f"{header}.{vc.b64url(json.dumps(forged).encode())}.{signature}"
    assert (await verify(api, changed))["reason"] == "bad_signature"
    # Signed by a key no district here has.
    seed, _ = vc.new_key_pair()
    data = vc.signing_input("someone-else", issued.json()["credential"])
    stranger = vc.compact(data, vc.sign(seed, data))
    assert (await verify(api, stranger))["reason"] == "unknown_issuer"
    for garbage in ("not a jwt", f"{header}.{payload}", "e30.e30.AA"):
        assert (await verify(api, garbage))["reason"] == "malformed"
    verified = await verify(api, token)
    assert verified["verified"] is True and verified["reason"] is None
    empty = await api.post(
        "/v1/public/credentials/verify", headers=api.as_(ANONYMOUS), json={"credential": ""}
    )
    assert empty.status_code == 422


async def test_time_window_and_first_key_race(api: ServiceClient) -> None:
    code, learner_id = "6.RP.A.1", uuid.uuid4()
    await master(api, code, learner_id)
    issued = await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers=api.as_(student(learner_id)),
        json={"skill_code": code},
    )
    token = issued.json()["jwt"]
    base = api.app.state.settings.gateway_url
    db = Database(api.app.state.settings.database_url)
    try:
        async with db.session() as session:
            early = await service.verify(session, token, base, now=datetime(2000, 1, 1, tzinfo=UTC))
        assert early.reason == "not_yet_valid" and early.credential is not None
        # Two first issues of a new district at once agree on one key (insert or read).
        district = uuid.uuid4()

        async def first_key() -> str:
            async with db.session() as session, session.begin():
                return (await service.keystore.signing_key(session, district)).kid

        kids = await asyncio.gather(first_key(), first_key(), first_key())
        async with db.session() as session:
            stored = await service.keystore.public_key(session, district_id=district)
        assert stored is not None and set(kids) == {stored.kid}
    finally:
        await db.dispose()


# --- a completed goal's credential (profiles owns goals; the real app beside) ------------------


async def make_goal(
    profiles: ServiceClient, learner_id: uuid.UUID, codes: list[str], status: str = "achieved"
) -> str:
    made = await profiles.post(
        f"/v1/learners/{learner_id}/goals",
        headers=profiles.as_(student(learner_id)),
        json={"term": "short", "title": "Ratios by spring", "skill_codes": codes, "status": status},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def ask(api: ServiceClient, learner_id: uuid.UUID, goal_id: str, **headers: str) -> Any:
    return await api.post(
        f"/v1/learners/{learner_id}/credentials",
        headers={**api.as_(student(learner_id)), **headers},
        json={"goal_id": goal_id},
    )


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")  # "EdDSA" (RFC 9864)
async def test_a_completed_goal_earns_a_credential(
    api: ServiceClient, profiles: ServiceClient
) -> None:
    learner_id, codes = learner(7), ["6.RP.A.1", "6.RP.A.2"]
    active = await make_goal(profiles, learner_id, codes, status="active")
    goal_id = await make_goal(profiles, learner_id, codes)
    before = len(await events_of(api, "credential.issued"))

    # Not completed: a problem, nothing issued.
    refused = await ask(api, learner_id, active)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/goal-not-completed")
    # Completed in profiles, but its skills are not mastered here: the district does not sign.
    unmastered = await ask(api, learner_id, goal_id)
    assert unmastered.status_code == 409, unmastered.text
    assert unmastered.json()["type"].endswith("/goal-skills-not-mastered")
    assert unmastered.json()["unmastered"] == codes
    await master(api, codes[0], learner_id)
    half = await ask(api, learner_id, goal_id)
    assert half.status_code == 409 and half.json()["unmastered"] == codes[1:]
    listed = await api.get(f"/v1/learners/{learner_id}/credentials", headers=api.as_(TEACHER))
    assert listed.json()["items"] == []
    assert len(await events_of(api, "credential.issued")) == before

    await master(api, codes[1], learner_id)
    issued = await ask(api, learner_id, goal_id, **{"Idempotency-Key": "goal-cred-1"})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["goal_id"] == goal_id and body["skill_code"] is None
    validate(body["credential"])
    achievement = body["credential"]["credentialSubject"]["achievement"]
    assert achievement["id"].endswith(f":goal:{goal_id}")
    assert achievement["name"] == "Goal completed: Ratios by spring"
    assert achievement["tag"] == codes
    assert body["credential"]["credentialSubject"]["id"] == f"urn:uuid:{learner_id}"
    # Replayed with its key: the same; asked again: it is held.
    again = await ask(api, learner_id, goal_id, **{"Idempotency-Key": "goal-cred-1"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    twice = await ask(api, learner_id, goal_id)
    assert twice.status_code == 409 and twice.json()["type"].endswith("/credential-exists")
    events = [e for e in await events_of(api, "credential.issued") if e["credential_id"] == body["id"]]  # fmt: skip
    assert events == [
        {"learner_id": str(learner_id), "credential_id": body["id"], "goal_id": goal_id}
    ]

    # Independent verification: joserfc with the published JWKS; the status list is signed.
    published = await api.get(f"{PUBLIC}/jwks.json", headers=api.as_(ANONYMOUS))
    found = jws.deserialize_compact(
        body["jwt"], KeySet.import_key_set(published.json()), algorithms=["EdDSA"]
    )
    assert json.loads(found.payload) == body["credential"]
    assert (await verify(api, body["jwt"]))["verified"] is True
    assert await revoked_in_signed_list(api, body["credential"]) is False

    revoked = await api.post(
        f"/v1/learners/{learner_id}/credentials/{body['id']}/revoke",
        headers=api.as_(TEACHER),
        json={"reason": "goal entered in error"},
    )
    assert revoked.status_code == 200, revoked.text
    assert await revoked_in_signed_list(api, body["credential"]) is True
    checked = await verify(api, body["jwt"])
    assert checked["verified"] is False and checked["reason"] == "revoked"
    revoked_events = [e for e in await events_of(api, "credential.revoked") if e["credential_id"] == body["id"]]  # fmt: skip
    assert revoked_events == [
        {"learner_id": str(learner_id), "credential_id": body["id"], "goal_id": goal_id}
    ]
    # Revoked, it no longer blocks a new one for the goal.
    assert (await ask(api, learner_id, goal_id)).status_code == 201


async def test_goal_refusals(api: ServiceClient, profiles: ServiceClient) -> None:
    learner_id, other = learner(8), learner(9)
    before = len(await events_of(api, "credential.issued"))
    theirs = await make_goal(profiles, other, ["6.RP.A.3"])
    # Another learner's goal, an unknown goal, a goal of another district: 404, the same.
    for goal_id in (theirs, str(uuid.uuid4())):
        missing = await ask(api, learner_id, goal_id)
        assert missing.status_code == 404, missing.text
        assert missing.json()["type"].endswith("/goal-not-found")
    outsider = make_principal(OTHER_DISTRICT, roles=["student"], user_id=OTHER_LEARNER)
    across = await api.post(
        f"/v1/learners/{OTHER_LEARNER}/credentials",
        headers=api.as_(outsider),
        json={"goal_id": theirs},
    )
    assert across.status_code == 404 and across.json()["type"].endswith("/goal-not-found")
    # Nor can the other learner's teacher or the learner ask in someone else's name.
    for_other = await api.post(
        f"/v1/learners/{other}/credentials",
        headers=api.as_(student(learner_id)),
        json={"goal_id": theirs},
    )
    assert for_other.status_code == 403
    # A goal with no target skills has nothing to attest.
    empty = await ask(api, learner_id, await make_goal(profiles, learner_id, []))
    assert empty.status_code == 409 and empty.json()["type"].endswith("/goal-without-skills")
    # Exactly one of skill_code and goal_id.
    for bad in ({}, {"skill_code": "6.RP.A.3", "goal_id": theirs}, {"goal_id": "not-a-uuid"}):
        wrong = await api.post(
            f"/v1/learners/{learner_id}/credentials",
            headers=api.as_(student(learner_id)),
            json=bad,
        )
        assert wrong.status_code == 422, (bad, wrong.text)
    assert len(await events_of(api, "credential.issued")) == before


async def test_a_goal_is_not_assumed_completed_when_profiles_is_down(
    api_pathways_down: ServiceClient,
) -> None:
    learner_id = uuid.uuid4()
    down = await api_pathways_down.post(
        f"/v1/learners/{learner_id}/credentials",
        headers=api_pathways_down.as_(student(learner_id)),
        json={"goal_id": str(uuid.uuid4())},
    )
    assert down.status_code == 503, down.text
    assert down.json()["type"].endswith("/profiles-unavailable")
    listed = await api_pathways_down.get(
        f"/v1/learners/{learner_id}/credentials", headers=api_pathways_down.as_(student(learner_id))
    )
    assert listed.json()["items"] == []
