"""Route access declarations: enforced in the service, published in its OpenAPI."""

import uuid

import httpx
import pytest
from fastapi import FastAPI

from pathwise_shared.access import ACCESS_EXTENSION, STAFF, AccessRule, access
from pathwise_shared.app import create_service_app
from pathwise_shared.auth import Principal, issue_internal_token
from pathwise_shared.settings import ServiceSettings

SETTINGS = ServiceSettings(service_name="demo")
SECRET = SETTINGS.internal_token_secret.get_secret_value()
DISTRICT = uuid.uuid4()


def _app() -> FastAPI:
    app = create_service_app(SETTINGS, title="t", description="d")

    @app.get(
        "/v1/learners/{learner_id}/notes",
        **access(roles=STAFF, scopes=["profiles:read"], learner="learner_id"),
    )
    async def read_notes(learner_id: uuid.UUID) -> dict[str, str]:
        return {"learner_id": str(learner_id)}

    return app


def _headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_internal_token(principal, SECRET)}"}


@pytest.fixture
async def client():
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_app()), base_url="http://t"
    ) as c:
        yield c


@pytest.mark.parametrize(
    ("principal", "status"),
    [
        (Principal(subject="t", district_id=DISTRICT, roles=frozenset({"teacher"})), 200),
        (Principal(subject="a", district_id=DISTRICT, roles=frozenset({"district_admin"})), 200),
        (Principal(subject="s", district_id=DISTRICT, roles=frozenset({"student"})), 403),
        (Principal(subject="g", district_id=DISTRICT, roles=frozenset({"guardian"})), 403),
        (
            Principal(
                subject="c",
                kind="client",
                district_id=DISTRICT,
                scopes=frozenset({"profiles:read"}),
            ),
            200,
        ),
        (
            Principal(
                subject="c", kind="client", district_id=DISTRICT, scopes=frozenset({"roster:read"})
            ),
            403,
        ),
        (
            Principal(
                subject="c", kind="client", district_id=DISTRICT, roles=frozenset({"teacher"})
            ),
            403,
        ),
        (Principal(subject="system:relay", kind="system"), 200),
    ],
)
async def test_roles_and_scopes_are_enforced(client, principal: Principal, status: int) -> None:
    response = await client.get(f"/v1/learners/{uuid.uuid4()}/notes", headers=_headers(principal))
    assert response.status_code == status
    if status == 403:
        assert response.headers["content-type"] == "application/problem+json"


async def test_missing_token_is_401(client) -> None:
    response = await client.get(f"/v1/learners/{uuid.uuid4()}/notes")
    assert response.status_code == 401
    assert "Bearer" in response.headers["www-authenticate"]


async def test_rule_is_published_in_openapi(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/learners/{learner_id}/notes"]["get"]
    assert operation[ACCESS_EXTENSION] == {
        "roles": sorted(STAFF),
        "scopes": ["profiles:read"],
        "action": "read",
        "object": {"kind": "learner", "param": "learner_id", "in": "path"},
    }
    assert {"401", "403", "404", "422"} <= set(operation["responses"])


@pytest.mark.parametrize("action", ["read", "write", "consent"])
def test_each_action_survives_the_openapi_round_trip(action: str) -> None:
    published = access(roles={"guardian"}, action=action, learner="learner_id")  # type: ignore[arg-type]
    raw = published["openapi_extra"][ACCESS_EXTENSION]
    rule = AccessRule.from_openapi(raw)
    assert rule is not None and rule.action == action


def test_an_unknown_action_is_not_understood() -> None:
    # The gateway does not expose an operation whose rule it cannot read (never forwards what it
    # cannot check), so a misspelt action hides the route instead of weakening it.
    raw = {"roles": ["guardian"], "scopes": [], "action": "guardian_act"}
    assert AccessRule.from_openapi(raw) is None
