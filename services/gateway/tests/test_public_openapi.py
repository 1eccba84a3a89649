"""The public document's builder on a service it has never seen: a new route gets its problem
responses, description, example and multipart declaration from the rules, without a line of its own;
and the problem type pages the ``type`` URIs name."""

from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Form, UploadFile
from pydantic import BaseModel, Field

from pathwise_gateway.app import create_app
from pathwise_gateway.proxy.api.openapi import public_openapi
from pathwise_gateway.proxy.domain.public_openapi import example_of, reachable_schemas
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.access import access
from pathwise_shared.app import create_service_app
from pathwise_shared.inputs import StrictBody
from pathwise_shared.problem_types import PROBLEM_TYPE_BASE
from pathwise_shared.settings import ServiceSettings


class ThingOut(BaseModel):
    id: str = Field(json_schema_extra={"format": "uuid"})
    name: str = Field(min_length=2, max_length=5, pattern=r"^[a-z]+$")
    level: float = Field(gt=0.5, lt=1)
    count: int = Field(ge=3)
    scores: dict[str, float] = Field(min_length=1)
    tags: list[str] = Field(min_length=2)
    note: str | None = None
    kind: str = Field("plain", examples=["fancy"])


class ThingUpload(StrictBody):
    file: UploadFile
    dry_run: bool = False


class SecretBody(BaseModel):
    secret: str


def _service() -> FastAPI:
    router = APIRouter(tags=["things"])

    @router.post("/v1/things", **access(roles={"teacher"}, scopes=("things:write",)))
    async def upload_thing(form: Annotated[ThingUpload, Form()]) -> ThingOut:
        raise NotImplementedError

    @router.get("/v1/things/{learner_id}", **access(roles={"teacher"}, learner="learner_id"))
    async def get_thing(learner_id: str) -> ThingOut:
        """One thing."""
        raise NotImplementedError

    @router.post("/internal/things")
    async def secret_thing(body: SecretBody) -> SecretBody:
        raise NotImplementedError

    settings = ServiceSettings(service_name="things", environment="test")
    return create_service_app(
        settings,
        title="things",
        description="things",
        routers=[router],
        openapi_tags=[{"name": "things", "description": "Things"}],
    )


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    gateway = create_app(GatewaySettings(environment="test"))
    return public_openapi(gateway, {"things": _service().openapi()})


def test_a_new_upload_route_is_multipart_described_and_declares_its_problems(
    doc: dict[str, Any],
) -> None:
    op = doc["paths"]["/v1/things"]["post"]
    [(media_type, media)] = op["requestBody"]["content"].items()
    assert media_type == "multipart/form-data"
    upload = doc["components"]["schemas"][media["schema"]["$ref"].rsplit("/", 1)[1]]
    assert upload["properties"]["file"]["format"] == "binary"
    assert "teachers of the district" in op["description"]
    assert "`things:write`" in op["description"]
    for status in ("400", "401", "403", "404", "409", "413", "422", "429", "500", "502", "503"):
        content = op["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status
        assert content["application/problem+json"]["example"]["type"].startswith(PROBLEM_TYPE_BASE)
        assert content["application/problem+json"]["example"]["status"] == int(status)
    described = doc["paths"]["/v1/things/{learner_id}"]["get"]["description"]
    assert (
        described.startswith("One thing.")
        and "relation to the learner named by `learner_id`" in described
    )


def test_internal_routes_and_their_bodies_stay_out(doc: dict[str, Any]) -> None:
    assert not [p for p in doc["paths"] if p.startswith("/internal")]
    assert "SecretBody" not in doc["components"]["schemas"]
    assert {"name": "things", "description": "Things"} in doc["tags"]
    schemas = doc["components"]["schemas"]
    assert set(schemas) == reachable_schemas(doc["paths"], schemas)


def test_the_example_of_a_schema_fits_its_constraints(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    example = doc["paths"]["/v1/things/{learner_id}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    thing = ThingOut.model_validate(example)
    assert thing.kind == "fancy" and len(thing.tags) == 2 and thing.scores
    assert example_of({"type": "integer", "exclusiveMinimum": 4}, schemas) == 5
    assert example_of({"type": "number", "maximum": 0}, schemas) == -1
    assert example_of({"anyOf": [{"type": "null"}, {"type": "boolean"}]}, schemas) is False


def test_two_services_defining_a_name_differently_get_two_names() -> None:
    from pathwise_gateway.proxy.domain.public_openapi import build_public_openapi

    def spec(props: dict[str, Any]) -> dict[str, Any]:
        return {
            "paths": {"/v1/x": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Page_Out_"}}}}}}}},
            "components": {"schemas": {"Page_Out_": {"type": "object", "properties": props}}},
        }  # fmt: skip

    one = spec({"a": {"type": "string"}})
    two = spec({"b": {"type": "string"}})
    two["paths"] = {"/v1/y": two["paths"]["/v1/x"]}
    doc = build_public_openapi({}, {"one": one, "two": two}, problem_schema={"type": "object"})
    assert {"PageOut", "TwoPageOut"} <= set(doc["components"]["schemas"])
    assert doc["components"]["schemas"]["TwoPageOut"]["title"] == "TwoPageOut"
    ref = doc["paths"]["/v1/y"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ref["schema"] == {"$ref": "#/components/schemas/TwoPageOut"}


async def test_a_problem_type_uri_has_its_page() -> None:
    app = create_app(GatewaySettings(environment="test"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        page = await client.get("/problems/learner-not-found")
        index = await client.get("/problems/")
        unknown = await client.get("/problems/no-such-type")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Learner not found" in page.text and "HTTP 404" in page.text
    assert index.status_code == 200 and 'href="validation-error"' in index.text
    assert unknown.status_code == 404
    assert unknown.json()["type"] == PROBLEM_TYPE_BASE + "not-found"
