"""The gateway in front of the real services: dev login, forwarding, merged OpenAPI, request ids,
bad tokens on every route, all over real HTTP on loopback."""

import time
import uuid

import httpx
import pytest

from pathwise_devstack.stack import Stack
from pathwise_devstack.testing import gateway_token
from pathwise_shared.access import ONEROSTER_BASE, is_public_path
from pathwise_shared.auth import Principal
from pathwise_shared.demo import demo_id

pytestmark = pytest.mark.integration

DEMO = demo_id("district", "riverside")

ANONYMOUS_PREFIX = "/v1/public/"


def test_merged_openapi_has_only_public_operations(gw: httpx.Client) -> None:
    spec = gw.get("/openapi.json").json()
    paths = {p: v for p, v in spec["paths"].items() if p not in ("/healthz", "/readyz")}
    assert paths, "the merged document lists operations"
    assert all(is_public_path(p) for p in paths)
    assert any(p.startswith(ONEROSTER_BASE) for p in paths)
    assert "/v1/auth/token" in paths and "/v1/clients" in paths
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, item in paths.items():
        for method, op in item.items():
            responses = op["responses"]
            if path == "/v1/auth/token":
                assert op["security"] == []
                continue
            # Operations declared anonymous (docs/security.md) live under /v1/public/ and only
            # there: the public keys, status lists and verification of credentials.
            if path.startswith(ANONYMOUS_PREFIX):
                assert op["security"] == [], (method, path)
                continue
            assert op["security"] == [{"bearer": []}], (method, path)
            for status in ("401", "403", "404", "429", "503"):
                assert status in responses, (method, path, status)
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert "swagger" in gw.get("/docs").text.lower()


def _published(stack: Stack) -> set[tuple[str, str]]:
    found = set()
    for name in ("profiles", "pathways", "assessment"):
        spec = httpx.get(f"{stack.config.url(name)}/openapi.json", timeout=5).json()
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if is_public_path(path) and "x-pathwise-access" in op:
                    found.add((method, path))
    return found


def test_services_publish_into_the_gateway(stack: Stack, gw: httpx.Client) -> None:
    """Every public operation a service declares with an access rule is in the gateway's document
    (the gateway picks up services that started after it within its retry interval)."""
    wanted = _published(stack)
    deadline = time.monotonic() + 20
    while True:
        merged = gw.get("/openapi.json").json()["paths"]
        missing = {(m, p) for m, p in wanted if m not in merged.get(p, {})}
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not missing


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer abc.def.ghi", "Basic dXNlcjpw"])
def test_every_non_public_route_needs_a_token(gw: httpx.Client, header: str | None) -> None:
    spec = gw.get("/openapi.json").json()
    headers = {"Authorization": header} if header else {}
    for path, item in spec["paths"].items():
        if path in ("/v1/auth/token", "/healthz", "/readyz") or path.startswith(ANONYMOUS_PREFIX):
            continue
        concrete = path
        for part in path.split("/"):
            if part.startswith("{"):
                concrete = concrete.replace(part, str(uuid.uuid4()))
        for method in item:
            response = gw.request(method.upper(), concrete, headers=headers)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.headers["content-type"] == "application/problem+json"


def test_forwarding_passes_status_and_request_id(gw: httpx.Client) -> None:
    teacher = Principal(subject=str(uuid.uuid4()), district_id=DEMO, roles=frozenset({"teacher"}))
    response = gw.get(
        "/v1/skills", headers={**gateway_token(teacher), "X-Request-ID": "trace-12345678"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "trace-12345678"
    assert "ratelimit-limit" in response.headers
    missing = gw.get(f"/v1/activities/{uuid.uuid4()}", headers=gateway_token(teacher))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_unknown_operation_and_wrong_method(gw: httpx.Client) -> None:
    teacher = Principal(subject=str(uuid.uuid4()), district_id=DEMO, roles=frozenset({"teacher"}))
    assert gw.get("/v1/no-such-thing", headers=gateway_token(teacher)).status_code == 404
    wrong = gw.put("/v1/skills", headers=gateway_token(teacher))
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["allow"]


def test_page_size_is_capped(gw: httpx.Client) -> None:
    teacher = Principal(subject=str(uuid.uuid4()), district_id=DEMO, roles=frozenset({"teacher"}))
    response = gw.get("/v1/skills", params={"limit": 5000}, headers=gateway_token(teacher))
    assert response.status_code == 422
