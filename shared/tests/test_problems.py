"""Problem details: our errors, validation errors and crashes all become RFC 9457 bodies."""

import logging

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from pathwise_shared.app import create_service_app
from pathwise_shared.problems import Conflict, NotFound, Unauthorized
from pathwise_shared.settings import ServiceSettings


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5)


def _app() -> FastAPI:
    app = create_service_app(ServiceSettings(service_name="demo"), title="t", description="d")

    @app.post("/things")
    async def create_thing(payload: Payload) -> Payload:
        return payload

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("No learner with that id in your district.", learner_id="x")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Already there.", slug="duplicate-thing")

    @app.get("/auth")
    async def auth() -> None:
        raise Unauthorized("No token.")

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    return app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()), base_url="http://t"
    ) as c:
        yield c


async def test_problem_carries_status_title_detail_and_extensions(client) -> None:
    response = await client.get("/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://pathwise.dev/problems/not-found"
    assert body["title"] == "Not Found"
    assert body["detail"] == "No learner with that id in your district."
    assert body["instance"] == "/missing"
    assert body["learner_id"] == "x"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_custom_slug(client) -> None:
    body = (await client.get("/conflict")).json()
    assert body["type"] == "https://pathwise.dev/problems/duplicate-thing" and body["status"] == 409


async def test_unauthorized_sets_www_authenticate(client) -> None:
    response = await client.get("/auth")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_validation_names_unknown_and_bad_fields(client) -> None:
    response = await client.post("/things", json={"name": "toolongname", "colour": "red"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "https://pathwise.dev/problems/validation-error"
    fields = {e["field"]: e["type"] for e in body["errors"]}
    assert fields == {"body.name": "string_too_long", "body.colour": "extra_forbidden"}
    assert "body.colour" in body["detail"]


async def test_malformed_json_is_400(client) -> None:
    response = await client.post(
        "/things", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "https://pathwise.dev/problems/malformed-json"


async def test_crash_is_500_problem_without_internals(client, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


def test_a_slug_is_always_one_uri_segment() -> None:
    """An object's two-word name once made ``…/guardian link-not-found``: not a URI."""
    from pathwise_shared.problem_types import PROBLEM_TYPE_BASE
    from pathwise_shared.problems import NotFound

    assert NotFound(slug="guardian link-not-found").type == (
        f"{PROBLEM_TYPE_BASE}guardian-link-not-found"
    )
    assert NotFound(slug="Odd  Name/x").type == f"{PROBLEM_TYPE_BASE}odd-name-x"
    assert NotFound().type == f"{PROBLEM_TYPE_BASE}not-found"
