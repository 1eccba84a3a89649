"""Every service, started for real, behaves the same at the edges: health, readiness, metrics,
request ids, OpenAPI, and problem+json for anything that goes wrong."""

from collections.abc import Iterator

import httpx
import pytest

from pathwise_devstack.services import SERVICES
from pathwise_devstack.stack import Stack

pytestmark = pytest.mark.integration
NAMES = [spec.name for spec in SERVICES]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


@pytest.mark.parametrize("service", NAMES)
def test_healthz_and_readyz_answer(stack: Stack, client: httpx.Client, service: str) -> None:
    base = stack.config.url(service)
    health = client.get(f"{base}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "service": service, "checks": {}}
    ready = client.get(f"{base}/readyz")
    assert ready.status_code == 200
    expected = {"database": "ok", "migrations": "head"}
    if service == "gateway":
        expected["routes"] = "complete"  # every service's routes are loaded
    assert ready.json()["checks"] == expected


@pytest.mark.parametrize("service", NAMES)
def test_unknown_route_is_problem_json(stack: Stack, client: httpx.Client, service: str) -> None:
    response = client.get(f"{stack.config.url(service)}/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("service", NAMES)
def test_wrong_method_is_problem_json(stack: Stack, client: httpx.Client, service: str) -> None:
    response = client.delete(f"{stack.config.url(service)}/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("service", NAMES)
def test_request_id_is_kept_or_made(stack: Stack, client: httpx.Client, service: str) -> None:
    base = stack.config.url(service)
    given = client.get(f"{base}/healthz", headers={"X-Request-ID": "district-sis-abc123"})
    assert given.headers["x-request-id"] == "district-sis-abc123"
    hostile = client.get(f"{base}/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.headers["x-request-id"] not in {"<script>alert(1)</script>", ""}
    assert len(client.get(f"{base}/healthz").headers["x-request-id"]) == 32


@pytest.mark.parametrize("service", NAMES)
def test_metrics_count_requests_by_route(stack: Stack, client: httpx.Client, service: str) -> None:
    base = stack.config.url(service)
    client.get(f"{base}/healthz")
    text = client.get(f"{base}/metrics").text
    assert 'handler="/healthz"' in text
    assert "http_request_duration_seconds" in text


@pytest.mark.parametrize("service", NAMES)
def test_openapi_has_stable_operation_ids(stack: Stack, client: httpx.Client, service: str) -> None:
    spec = client.get(f"{stack.config.url(service)}/openapi.json").json()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert "healthz" in ids and "readyz" in ids
    assert len(ids) == len(set(ids))


def test_gateway_docs_page_answers(stack: Stack, client: httpx.Client) -> None:
    response = client.get(f"{stack.config.url('gateway')}/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
