"""The shared Idempotency-Key rules: syntax, the caller's scope, the request's fingerprint."""

import uuid

import pytest

from pathwise_shared.auth import Principal
from pathwise_shared.idempotency import (
    check_key,
    check_same_request,
    idempotent_request,
    request_fingerprint,
    scoped_key,
)
from pathwise_shared.problems import BadRequest, UnprocessableContent

DISTRICT = uuid.uuid4()


def who(
    subject: str = "u-1", kind: str = "user", district: uuid.UUID | None = DISTRICT
) -> Principal:
    return Principal(subject=subject, kind=kind, district_id=district)


@pytest.mark.parametrize("key", ["", "with space", "a/b", "é", "x" * 201])
def test_bad_keys_are_a_400(key: str) -> None:
    with pytest.raises(BadRequest) as refused:
        check_key(key)
    assert refused.value.type == "https://pathwise.dev/problems/invalid-idempotency-key"


def test_the_scope_is_kind_district_and_subject() -> None:
    key = "k-1"
    mine = scoped_key(who(), key)
    assert mine == scoped_key(who(), key) and len(mine) == 64
    others = {
        scoped_key(who(subject="u-2"), key),
        scoped_key(who(kind="client"), key),
        scoped_key(who(district=uuid.uuid4()), key),
        scoped_key(who(), "k-2"),
    }
    assert mine not in others and len(others) == 4


def test_the_fingerprint_is_the_whole_request() -> None:
    base = request_fingerprint("POST", "/v1/items", "", b'{"a": 1}')
    assert base == request_fingerprint("post", "/v1/items", "", b'{"a": 1}')
    assert base != request_fingerprint("POST", "/v1/items", "", b'{"a": 2}')
    assert base != request_fingerprint("POST", "/v1/items/x", "", b'{"a": 1}')
    assert base != request_fingerprint("POST", "/v1/items", "a=1", b'{"a": 1}')
    parts = request_fingerprint("POST", "/v1/roster/imports", "", ("sha", "False"))
    assert parts != request_fingerprint("POST", "/v1/roster/imports", "", ("sha", "True"))


def test_a_stored_key_answers_only_the_same_request() -> None:
    first = idempotent_request(who(), "k", method="POST", path="/p", query="", body=b"1")
    assert first is not None
    check_same_request(first.fingerprint, first)
    other = idempotent_request(who(), "k", method="POST", path="/p", query="", body=b"2")
    assert other is not None and other.key == first.key
    for stored in (first.fingerprint, None):
        with pytest.raises(UnprocessableContent):
            check_same_request(stored, other)
    assert idempotent_request(who(), None, method="POST", path="/p", query="", body=b"") is None
