"""Internal tokens: what the gateway mints, services verify; anything else is refused."""

import uuid
from datetime import timedelta

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
