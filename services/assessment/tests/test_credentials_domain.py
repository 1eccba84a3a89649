"""Open Badges credentials, the pure part: a skill's and a goal's credential against 1EdTech's
OB 3.0 schema, the VC-JWT signed here and verified by an independent JOSE library, time windows,
the Bitstring Status List (bit order, encoding, round trip) and the status check against the
signed list (its signature, kind, purpose, size)."""

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from joserfc import jws
from joserfc.jwk import OKPKey

from pathwise_assessment.domain import credentials as vc


def jwk_of(public: bytes, kid: str) -> OKPKey:
    raw: dict[str, str | list[str]] = {**vc.public_jwk(public, kid)}
    return OKPKey.import_key(raw)


SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures/ob3/ob_v3p0_achievementcredential_schema.json").read_text()
)
URLS = vc.IssuerUrls("http://gateway.test", uuid.UUID(int=7))
NOW = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)


def credential(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "urls": URLS,
        "issuer_name": "Riverside",
        "credential_id": uuid.UUID(int=1),
        "learner_id": uuid.UUID(int=2),
        "achievement": vc.skill_achievement(URLS, "3.NF.A.1"),
        "status_index": 42,
        "valid_from": NOW,
    }
    return vc.achievement_credential(**{**args, **overrides})


GOAL_ID = uuid.UUID(int=9)


def goal_credential() -> dict[str, Any]:
    return credential(
        achievement=vc.goal_achievement(
            URLS, GOAL_ID, "Fractions by spring", ["3.NF.A.2", "3.NF.A.1"]
        )
    )


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft201909Validator(
        SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    ).validate(document)


def test_the_credential_is_a_valid_ob3_achievement_credential() -> None:
    document = credential()
    validate(document)
    assert document["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert document["validFrom"] == "2026-12-21T10:00:00Z"
    status = document["credentialStatus"]
    assert status["statusListIndex"] == "42"
    assert status["statusListCredential"] == URLS.status_list


def test_a_goal_credential_is_a_valid_ob3_achievement_credential() -> None:
    document = goal_credential()
    validate(document)
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["id"] == f"urn:pathwise:district:{URLS.district_id}:goal:{GOAL_ID}"
    assert achievement["name"] == document["name"] == "Goal completed: Fractions by spring"
    assert achievement["tag"] == ["3.NF.A.1", "3.NF.A.2"]
    assert "3.NF.A.1, 3.NF.A.2" in achievement["criteria"]["narrative"]
    assert document["credentialStatus"]["statusListCredential"] == URLS.status_list
    # Not a skill's achievement: no skill code posing as its human code.
    assert "humanCode" not in achievement


def test_the_schema_is_not_a_rubber_stamp() -> None:
    # The fixture rejects what OB 3.0 rejects: a missing validFrom, a VC 1.1 context, no
    # achievement criteria.
    for broken in (
        {k: v for k, v in credential().items() if k != "validFrom"},
        {**credential(), "@context": ["https://www.w3.org/2018/credentials/v1", vc.OB_CONTEXT]},
        {**credential(), "@context": [vc.VC_CONTEXT, "https://example.org/ob.json"]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)
    subject = credential()["credentialSubject"]
    del subject["achievement"]["criteria"]
    with pytest.raises(jsonschema.ValidationError):
        validate({**credential(), "credentialSubject": subject})


# RFC 9864 deprecates the polymorphic "EdDSA" for the fully specified "Ed25519"; verifiers in
# use today know "EdDSA" (docs/assessment.md, "Credentials"), so joserfc's warning is expected.
@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
@pytest.mark.parametrize("kind", ["skill", "goal"])
def test_signed_here_verified_by_joserfc_with_the_public_jwk(kind: str) -> None:
    seed, public = vc.new_key_pair()
    payload = credential() if kind == "skill" else goal_credential()
    data = vc.signing_input("k1", payload)
    token = vc.compact(data, vc.sign(seed, data))
    key = jwk_of(public, "k1")
    found = jws.deserialize_compact(token, key, algorithms=["EdDSA"])
    assert json.loads(found.payload) == payload
    assert found.protected == {"alg": "EdDSA", "kid": "k1", "typ": "vc+jwt", "cty": "vc"}
    # Another key does not verify it, for us or for joserfc.
    _, other = vc.new_key_pair()
    assert not vc.verify_signature(other, data, vc.sign(seed, data))
    with pytest.raises(Exception, match="signature"):
        jws.deserialize_compact(token, jwk_of(other, "k2"), algorithms=["EdDSA"])


def test_our_verifier_accepts_the_signature_and_refuses_a_changed_payload() -> None:
    seed, public = vc.new_key_pair()
    data = vc.signing_input("k1", credential())
    token = vc.compact(data, vc.sign(seed, data))
    parsed = vc.parse_compact(token)
    assert vc.verify_signature(public, parsed.signed, parsed.signature)
    header, _, signature = token.split(".")
    forged = vc.b64url(
        json.dumps(credential(achievement=vc.skill_achievement(URLS, "8.EE.A.1"))).encode()
    )
    tampered = vc.parse_compact(f"{header}.{forged}.{signature}")
    assert not vc.verify_signature(public, tampered.signed, tampered.signature)


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.W10.AA", "bm90.e30.AA"])
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(vc.MalformedJws):
        vc.parse_compact(token)


def test_validity_window() -> None:
    document = credential(valid_until=NOW + timedelta(days=1))
    assert vc.check_validity(document, NOW) is None
    assert vc.check_validity(document, NOW - timedelta(seconds=1)) == "not_yet_valid"
    assert vc.check_validity(document, NOW + timedelta(days=1)) == "expired"
    assert vc.check_validity({"validFrom": "yesterday"}, NOW) == "malformed"
    assert vc.check_validity({"validFrom": "2026-12-21T10:00:00"}, NOW) == "malformed"  # no zone


def test_status_list_bits_count_from_the_most_significant_bit() -> None:
    bits = vc.StatusList(16)
    bits.set(0)
    bits.set(9)
    assert bits.get(0) and bits.get(9) and not bits.get(1) and not bits.get(8)
    raw = gzip.decompress(vc.b64url_decode(bits.encode()[1:]))
    assert raw == bytes([0b1000_0000, 0b0100_0000])
    bits.set(0, False)
    assert not bits.get(0)
    with pytest.raises(IndexError):
        bits.get(16)
    with pytest.raises(IndexError):
        bits.set(-1)


def test_status_list_encoding_round_trips_and_is_deterministic() -> None:
    bits = vc.StatusList.with_set([3, 77, vc.STATUS_LIST_SIZE - 1])
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    assert encoded == vc.StatusList.with_set([77, vc.STATUS_LIST_SIZE - 1, 3]).encode()
    back = vc.StatusList.decode(encoded)
    assert back.size == vc.STATUS_LIST_SIZE
    assert [i for i in (2, 3, 77, 78, vc.STATUS_LIST_SIZE - 1) if back.get(i)] == [
        3, 77, vc.STATUS_LIST_SIZE - 1
    ]  # fmt: skip
    # An empty 16 KiB list compresses to a few dozen bytes.
    assert len(vc.StatusList().encode()) < 100
    with pytest.raises(ValueError, match="multibase"):
        vc.StatusList.decode("z" + encoded[1:])


def test_status_list_credential_names_the_list() -> None:
    document = vc.status_list_credential(URLS, "Riverside", vc.StatusList.with_set([5]), NOW)
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = document["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    assert vc.StatusList.decode(subject["encodedList"]).get(5)
    assert document["id"] == credential()["credentialStatus"]["statusListCredential"]


# --- the status check against the signed list ------------------------------------------------


def signed(seed: bytes, document: dict[str, Any], kid: str = "k1") -> str:
    data = vc.signing_input(kid, document)
    return vc.compact(data, vc.sign(seed, data))


def status_list(revoked: list[int], size: int = vc.STATUS_LIST_SIZE) -> dict[str, Any]:
    return vc.status_list_credential(
        URLS, "Riverside", vc.StatusList.with_set(revoked, size), NOW - timedelta(minutes=1)
    )


ENTRY = vc.StatusEntry.of(credential())


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
def test_the_bit_is_read_from_the_signed_list_only() -> None:
    seed, public = vc.new_key_pair()
    jwks = {"keys": [vc.public_jwk(public, "k1")]}
    assert ENTRY.index == 42 and ENTRY.list_url == URLS.status_list
    assert vc.check_status(ENTRY, signed(seed, status_list([42])), jwks, NOW) is True
    assert vc.check_status(ENTRY, signed(seed, status_list([41, 43])), jwks, NOW) is False
    # joserfc verifies the list with the same JWKS: it is a VC-JWT like the credentials.
    found = jws.deserialize_compact(
        signed(seed, status_list([42])), jwk_of(public, "k1"), algorithms=["EdDSA"]
    )
    assert json.loads(found.payload)["type"][1] == "BitstringStatusListCredential"


def test_an_untrustworthy_list_is_refused_not_read() -> None:
    seed, public = vc.new_key_pair()
    jwks = {"keys": [vc.public_jwk(public, "k1")]}
    other_seed, _ = vc.new_key_pair()
    clean = status_list([])
    header, _, signature = signed(seed, status_list([42])).split(".")
    # An unsigned-looking list whose bit 42 is clear, under the signature of one where it is set.
    swapped = f"{header}.{vc.b64url(json.dumps(clean).encode())}.{signature}"
    elsewhere = {**clean, "id": "http://attacker.test/status"}
    subject = clean["credentialSubject"]
    cases = {
        "not a JWS": "{}",
        "another key": signed(other_seed, clean),
        "an unknown kid": signed(seed, clean, kid="k2"),
        "a swapped payload": swapped,
        "another list": signed(seed, elsewhere),
        "not a status list": signed(seed, {**clean, "type": ["VerifiableCredential"]}),
        "not yet valid": signed(seed, {**clean, "validFrom": "2099-01-01T00:00:00Z"}),
        "a suspension list": signed(
            seed, {**clean, "credentialSubject": {**subject, "statusPurpose": "suspension"}}
        ),
        "a short list": signed(seed, status_list([], size=8 * 1024)),
        "a list that does not decode": signed(
            seed, {**clean, "credentialSubject": {**subject, "encodedList": "uAAAA"}}
        ),
    }
    for why, token in cases.items():
        try:
            vc.check_status(ENTRY, token, jwks, NOW)
        except vc.StatusListProblem:
            continue
        pytest.fail(f"a bit was read from {why}")
    # An index past the end of the list is a range error, not "not revoked".
    far = vc.StatusEntry(vc.STATUS_LIST_SIZE, URLS.status_list)
    with pytest.raises(vc.StatusListProblem, match="outside"):
        vc.check_status(far, signed(seed, clean), jwks, NOW)


@pytest.mark.parametrize(
    "status",
    [
        None,
        {"type": "StatusList2021Entry", "statusPurpose": "revocation"},
        {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"},
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": 4},
        {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "-1",
        },
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "4"},
    ],
)
def test_a_status_entry_we_do_not_write_is_malformed(status: Any) -> None:
    with pytest.raises(ValueError, match=r"[Ss]tatus"):
        vc.StatusEntry.of({"credentialStatus": status})
