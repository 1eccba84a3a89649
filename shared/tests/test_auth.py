"""Internal tokens: what the gateway mints, services verify; anything else is refused."""

import time
import uuid
from datetime import timedelta
from typing import Any

import jwt
import pytest

from pathwise_shared.auth import (
    INTERNAL_AUDIENCE,
    INTERNAL_ISSUER,
    Principal,
    issue_internal_token,
    verify_internal_token,
)
from pathwise_shared.problems import Unauthorized
from pathwise_shared.timeutil import utcnow

SECRET = "s" * 40
DISTRICT = uuid.uuid4()


def _principal() -> Principal:
    return Principal(
        subject="u1",
        district_id=DISTRICT,
        roles=frozenset({"teacher"}),
        scopes=frozenset({"roster:read"}),
        user_id=uuid.uuid4(),
    )


def test_round_trip_keeps_the_principal() -> None:
    principal = _principal()
    assert verify_internal_token(issue_internal_token(principal, SECRET), SECRET) == principal


def _claims(**over: object) -> dict[str, object]:
    now = utcnow()
    claims: dict[str, object] = {
        "iss": INTERNAL_ISSUER, "aud": INTERNAL_AUDIENCE, "iat": now,
        "exp": now + timedelta(seconds=60), "sub": "u1", "dst": str(DISTRICT),
    }  # fmt: skip
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(issue_internal_token(_principal(), "other-secret" * 4), id="wrong-key"),
        pytest.param(
            jwt.encode(_claims(exp=utcnow() - timedelta(seconds=1)), SECRET), id="expired"
        ),
        pytest.param(jwt.encode(_claims(aud="someone-else"), SECRET), id="wrong-audience"),
        pytest.param(jwt.encode(_claims(iss="evil"), SECRET), id="wrong-issuer"),
        pytest.param(jwt.encode(_claims(), "", algorithm="none"), id="alg-none"),
        pytest.param(jwt.encode(_claims(sub=None), SECRET), id="no-subject"),
        pytest.param(jwt.encode(_claims(dst="not-a-uuid"), SECRET), id="bad-district"),
        pytest.param("not.a.token", id="malformed"),
    ],
)
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthorized):
        verify_internal_token(token, SECRET)


def test_a_verified_token_is_remembered_only_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Services keep the tokens they verified (the gateway reuses one per caller), so the check
    is done once per token; the cached answer still ends at the token's ``exp``."""
    principal = _principal()
    token = issue_internal_token(principal, SECRET, ttl_seconds=1)
    assert verify_internal_token(token, SECRET) == principal
    calls: list[str] = []
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        calls.append("decode")
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    assert verify_internal_token(token, SECRET) == principal
    assert calls == []  # remembered: not decoded again
    time.sleep(1.1)  # past its exp (whole seconds): checked again, and refused
    with pytest.raises(Unauthorized):
        verify_internal_token(token, SECRET)
    assert calls == ["decode"]


def test_a_token_verified_with_one_secret_is_not_accepted_with_another() -> None:
    token = issue_internal_token(_principal(), SECRET)
    verify_internal_token(token, SECRET)
    with pytest.raises(Unauthorized):
        verify_internal_token(token, "other-secret" * 4)
