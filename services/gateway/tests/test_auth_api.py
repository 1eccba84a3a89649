"""Token endpoint, client administration and bad-token handling of the gateway's own routes."""

import base64
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

import jwt
import pytest

from pathwise_devstack.testing import ServiceClient
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.timeutil import utcnow

DISTRICT = uuid.uuid4()


def _claims(settings: GatewaySettings, **overrides: object) -> dict[str, object]:
    now = utcnow()
    claims: dict[str, object] = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "sub": str(uuid.uuid4()),
        "knd": "user",
        "dst": str(DISTRICT),
        "rol": ["teacher"],
    }
    claims.update(overrides)
    return claims


def _bad_tokens(settings: GatewaySettings) -> dict[str, str]:
    key = settings.token_signing_key.get_secret_value()
    good = jwt.encode(_claims(settings), key, algorithm="HS256")
    header, payload, _sig = good.split(".")
    unsigned = jwt.encode(_claims(settings), "", algorithm="none")
    return {
        "expired": jwt.encode(
            _claims(settings, exp=utcnow() - timedelta(minutes=1)), key, algorithm="HS256"
        ),
        "wrong-audience": jwt.encode(_claims(settings, aud="someone-else"), key, algorithm="HS256"),
        "wrong-issuer": jwt.encode(_claims(settings, iss="evil"), key, algorithm="HS256"),
        "alg-none": unsigned,
        "wrong-key": jwt.encode(_claims(settings), "x" * 40, algorithm="HS256"),
        "tampered": f"{header}.{payload}x.{_sig}",
        "malformed": "not-a-jwt",
        "no-district": jwt.encode(_claims(settings, dst=None), key, algorithm="HS256"),
        "internal-token": jwt.encode(
            _claims(settings, iss="pathwise-gateway", aud="pathwise-internal"),
            settings.internal_token_secret.get_secret_value(),
            algorithm="HS256",
        ),
    }


async def test_me_needs_a_token(gateway: ServiceClient) -> None:
    response = await gateway.get("/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    basic = await gateway.get("/v1/auth/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status_code == 401


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "alg-none",
        "wrong-key",
        "tampered",
        "malformed",
        "no-district",
        "internal-token",
    ],
)
async def test_bad_tokens_are_401(
    gateway: ServiceClient, settings: GatewaySettings, case: str
) -> None:
    token = _bad_tokens(settings)[case]
    response = await gateway.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_me_with_a_gateway_token(gateway: ServiceClient, bearer: Any, user: Any) -> None:
    teacher = user(DISTRICT, "teacher")
    response = await gateway.get("/v1/auth/me", headers=bearer(teacher))
    assert response.status_code == 200
    assert response.json()["roles"] == ["teacher"]
    assert response.json()["district_id"] == str(DISTRICT)


async def test_client_credentials_flow(gateway: ServiceClient, bearer: Any, user: Any) -> None:
    admin = bearer(user(DISTRICT, "district_admin"))
    created = await gateway.post(
        "/v1/clients", json={"name": "SIS", "scopes": ["roster:read", "events:read"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["client_secret"]
    assert secret.startswith("pws_")

    listed = await gateway.get("/v1/clients", headers=admin)
    assert listed.status_code == 200
    entry = next(c for c in listed.json()["items"] if c["client_id"] == body["client_id"])
    assert "client_secret" not in entry

    form = {"grant_type": "client_credentials", "client_id": body["client_id"]}
    token = await gateway.post("/v1/auth/token", data={**form, "client_secret": secret})
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    assert token.json()["scope"] == "events:read roster:read"
    me = await gateway.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert me.json()["kind"] == "client"
    assert me.json()["district_id"] == str(DISTRICT)

    narrowed = await gateway.post(
        "/v1/auth/token", data={**form, "client_secret": secret, "scope": "roster:read"}
    )
    assert narrowed.json()["scope"] == "roster:read"
    wider = await gateway.post(
        "/v1/auth/token", data={**form, "client_secret": secret, "scope": "roster:write"}
    )
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"
    wrong = await gateway.post("/v1/auth/token", data={**form, "client_secret": "pws_nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    unknown = await gateway.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert unknown.status_code == 401


async def test_only_district_admins_manage_clients(
    gateway: ServiceClient, bearer: Any, user: Any
) -> None:
    for role in ("teacher", "school_admin", "student", "guardian"):
        response = await gateway.post(
            "/v1/clients",
            json={"name": "x", "scopes": ["roster:read"]},
            headers=bearer(user(DISTRICT, role)),
        )
        assert response.status_code == 403, role


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["no:such"]},
        {"name": "", "scopes": ["roster:read"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["roster:read"], "extra": 1},
        {"name": "x" * 300, "scopes": ["roster:read"]},
    ],
)
async def test_client_bad_input_is_422(
    gateway: ServiceClient, bearer: Any, user: Any, body: dict[str, object]
) -> None:
    admin = bearer(user(DISTRICT, "district_admin"))
    response = await gateway.post("/v1/clients", json=body, headers=admin)
    assert response.status_code == 422


def _oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """RFC 6749 §5.2: the status, ``application/json``, ``no-store``, the OAuth members, and
    the problem members of every Pathwise error beside them (docs/api.md)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body: dict[str, Any] = response.json()
    assert body["error"] == error and body["error_description"] == body["detail"]
    assert (
        body["type"] == "https://pathwise.dev/problems/" + error.replace("_", "-")
        and body["status"] == status
    )
    assert body["title"] and body["request_id"]
    return body


@pytest.mark.parametrize(
    ("form", "error", "words"),
    [
        ({}, "invalid_request", "grant_type is required"),
        ({"grant_type": ""}, "invalid_request", "grant_type is required"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type", "'authorization_code'"),
        ({"grant_type": "refresh_token", "refresh_token": "x"}, "unsupported_grant_type", "use"),
        ({"grant_type": "client_credentials"}, "invalid_request", "client_id and client_secret"),
        ({"grant_type": "client_credentials", "client_id": "x" * 100, "client_secret": "y"},
         "invalid_request", "client_id is longer than 64"),
        ({"grant_type": "password", "username": "u", "district_id": "nope"}, "invalid_request",
         "district_id is not a UUID"),
    ],
)  # fmt: skip
async def test_token_request_errors_are_oauth_errors(
    gateway: ServiceClient, form: dict[str, str], error: str, words: str
) -> None:
    body = _oauth_error(await gateway.post("/v1/auth/token", data=form), 400, error)
    assert words in body["error_description"]


async def test_token_request_shape_errors(gateway: ServiceClient) -> None:
    form_type = {"content-type": "application/x-www-form-urlencoded"}
    twice = await gateway.post(
        "/v1/auth/token", content=b"grant_type=client_credentials&grant_type=password",
        headers=form_type,
    )  # fmt: skip
    assert "sent more than once" in _oauth_error(twice, 400, "invalid_request")["detail"]
    as_json = await gateway.post("/v1/auth/token", json={"grant_type": "client_credentials"})
    assert "x-www-form-urlencoded" in _oauth_error(as_json, 400, "invalid_request")["detail"]
    # unknown parameters are ignored (RFC 6749 §3.2), so this is about the missing secret
    extra = await gateway.post(
        "/v1/auth/token", data={"grant_type": "client_credentials", "client_id": "c", "x": "1"}
    )
    assert "client_secret" in _oauth_error(extra, 400, "invalid_request")["detail"]


async def test_client_errors_and_basic_authentication(
    gateway: ServiceClient, bearer: Any, user: Any
) -> None:
    admin = bearer(user(DISTRICT, "district_admin"))
    created = await gateway.post(
        "/v1/clients", json={"name": "LMS", "scopes": ["roster:read"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    client_id, secret = created.json()["client_id"], created.json()["client_secret"]
    grant = {"grant_type": "client_credentials"}

    def basic(user_id: str, password: str) -> dict[str, str]:
        # RFC 6749 §2.3.1: each part form-urlencoded, then base64 of id:secret
        raw = f"{quote_plus(user_id)}:{quote_plus(password)}".encode()
        return {"authorization": "Basic " + base64.b64encode(raw).decode()}

    ok = await gateway.post("/v1/auth/token", data=grant, headers=basic(client_id, secret))
    assert ok.status_code == 200, ok.text
    assert ok.headers["cache-control"] == "no-store"
    wrong = await gateway.post("/v1/auth/token", data=grant, headers=basic(client_id, "pws_no"))
    _oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic realm=")
    in_body = await gateway.post(
        "/v1/auth/token", data={**grant, "client_id": client_id, "client_secret": "pws_no"}
    )
    assert _oauth_error(in_body, 401, "invalid_client")["title"] == "Invalid client"
    assert in_body.headers["www-authenticate"].startswith("Basic realm=")
    garbled = await gateway.post(
        "/v1/auth/token", data=grant, headers={"authorization": "Basic !!not base64"}
    )
    _oauth_error(garbled, 401, "invalid_client")
    both = await gateway.post(
        "/v1/auth/token", data={**grant, "client_secret": secret}, headers=basic(client_id, secret)
    )
    assert "one way only" in _oauth_error(both, 400, "invalid_request")["detail"]
    scope = await gateway.post(
        "/v1/auth/token", data={**grant, "scope": "roster:write"}, headers=basic(client_id, secret)
    )
    _oauth_error(scope, 400, "invalid_scope")


async def test_dev_login_needs_profiles(gateway: ServiceClient) -> None:
    # profiles is unreachable in this app: the login is a 503, never a 500 or a hang.
    response = await gateway.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "teacher-01"}
    )
    assert response.status_code == 503
    assert "retry-after" in response.headers
