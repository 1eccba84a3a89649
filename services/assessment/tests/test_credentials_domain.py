"""Open Badges credentials, the pure part: the credential against 1EdTech's OB 3.0 schema, the
VC-JWT signed here and verified by an independent JOSE library, time windows, and the
Bitstring Status List (bit order, encoding, round trip)."""

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
        "skill_code": "3.NF.A.1",
        "status_index": 42,
        "valid_from": NOW,
    }
    return vc.achievement_credential(**{**args, **overrides})


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
def test_signed_here_verified_by_joserfc_with_the_public_jwk() -> None:
    seed, public = vc.new_key_pair()
    payload = credential()
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
    forged = vc.b64url(json.dumps(credential(skill_code="8.EE.A.1")).encode())
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
