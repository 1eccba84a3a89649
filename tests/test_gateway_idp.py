"""Production sign-in: bearer JWTs of the district's identity provider, verified against its JWKS
(issuer, audience, expiry, pinned algorithms) and resolved to a Pathwise user through profiles.

The identity provider is a key pair made here and its key set served over HTTP on a loopback
port; the gateway runs in-process with the IdP configured and the dev login off, in front of
the real services of the shared stack.
"""

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import (
    ServiceClient,
    create_test_database,
    drop_test_database,
    service_client,
)
from pathwise_gateway.app import create_app
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.demo import demo_id
from pathwise_shared.timeutil import utcnow

pytestmark = pytest.mark.integration

ISSUER = "https://idp.riverside.example"
AUDIENCE = "pathwise"
KID = "idp-key-1"
DISTRICT = demo_id("district", "riverside")


@dataclass
class IdentityProvider:
    key: rsa.RSAPrivateKey
    port: int = 0

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/.well-known/jwks.json"

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def token(
        self,
        *,
        key: Any = None,
        algorithm: str = "RS256",
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "idp-user-teacher-01",
            "preferred_username": "teacher-01",
            "iat": now,
            "exp": now.timestamp() + 300,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(
            claims, key or self.key, algorithm=algorithm, headers={"kid": KID, **(headers or {})}
        )


async def _serve_jwks(idp: IdentityProvider) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            body = json.dumps(idp.jwks()).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    idp.port = server.sockets[0].getsockname()[1]
    return server


@pytest.fixture(scope="module")
async def idp() -> AsyncIterator[IdentityProvider]:
    provider = IdentityProvider(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    server = await _serve_jwks(provider)
    yield provider
    server.close()


@pytest.fixture(scope="module")
async def gateway(
    stack: Stack, idp: IdentityProvider, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServiceClient]:
    # In a thread: on PostgreSQL the helper runs an event loop of its own.
    db = await asyncio.to_thread(
        create_test_database, "gateway", Path(tmp_path_factory.mktemp("idp"))
    )
    settings = GatewaySettings(
        database_url=db.url,
        environment="test",
        dev_login=False,
        profiles_url=stack.config.url("profiles"),
        pathways_url=stack.config.url("pathways"),
        assessment_url=stack.config.url("assessment"),
        idp_jwks_url=idp.jwks_url,
        idp_issuer=ISSUER,
        idp_audience=AUDIENCE,
        idp_algorithms=["RS256"],
        idp_district_id=DISTRICT,
        idp_leeway_seconds=0,
    )
    try:
        async with service_client(create_app, settings, MIGRATIONS) as client:
            yield client
    finally:
        await asyncio.to_thread(drop_test_database, db)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_identity_provider_token_signs_a_user_in(
    gateway: ServiceClient, idp: IdentityProvider
) -> None:
    me = await gateway.get("/v1/auth/me", headers=_bearer(idp.token()))
    assert me.status_code == 200, me.text
    assert me.json()["user_id"] == str(demo_id("user", "teacher-01"))
    assert me.json()["roles"] == ["teacher"]
    assert me.json()["district_id"] == str(DISTRICT)
    learner = demo_id("learner", "learner-01")
    profile = await gateway.get(f"/v1/learners/{learner}/profile", headers=_bearer(idp.token()))
    assert profile.status_code == 200, profile.text
    # The development login is off: only the IdP (and client credentials) sign callers in.
    dev = await gateway.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "teacher-01"}
    )
    assert dev.status_code == 400


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(idp: IdentityProvider) -> bytes:
    return idp.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _hmac_with_public_key(idp: IdentityProvider) -> str:
    """The algorithm-confusion attack: HS256 keyed with the (public) RSA key."""
    _, payload, _ = idp.token().split(".")
    header = jwt.utils.base64url_encode(
        json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode()
    ).decode()
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(_public_pem(idp), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{jwt.utils.base64url_encode(signature).decode()}"


def _unsigned(idp: IdentityProvider) -> str:
    _, payload, _ = idp.token().split(".")
    none_header = jwt.utils.base64url_encode(
        json.dumps({"alg": "none", "typ": "JWT", "kid": KID}).encode()
    ).decode()
    return f"{none_header}.{payload}."


BAD_TOKENS: dict[str, Callable[[IdentityProvider], str]] = {
    "expired": lambda p: p.token(exp=utcnow().timestamp() - 60),
    "wrong-audience": lambda p: p.token(aud="someone-else"),
    "wrong-issuer": lambda p: p.token(iss="https://evil.example"),
    "no-expiry": lambda p: p.token(exp=None),
    "alg-none": _unsigned,
    "hs256-with-the-public-key": _hmac_with_public_key,
    "wrong-key": lambda p: p.token(key=_other_key()),
    "unknown-key-id": lambda p: p.token(headers={"kid": "nobody"}),
    "tampered": lambda p: p.token()[:-4] + "AAAA",
    "malformed": lambda p: "a.b",
    "unknown-user": lambda p: p.token(preferred_username=f"nobody-{uuid.uuid4().hex[:6]}"),
    "no-user": lambda p: p.token(preferred_username=None),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_identity_provider_tokens_are_401(
    gateway: ServiceClient, idp: IdentityProvider, case: str
) -> None:
    token = BAD_TOKENS[case](idp)
    for path in ("/v1/auth/me", f"/v1/learners/{demo_id('learner', 'learner-01')}/profile"):
        answer = await gateway.get(path, headers=_bearer(token))
        assert answer.status_code == 401, (case, path, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["content-type"] == "application/problem+json"
