"""Tokenless calls: only to operations a service declared ``access(anonymous=True)``, as the
anonymous principal, counted against the caller's address; every other tokenless call is the
same 401 as before (docs/security.md, "Anonymous operations")."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pathwise_devstack.testing import ServiceClient
from pathwise_gateway.edge.domain.access import check_route
from pathwise_gateway.proxy.domain.route_table import RouteTable, operations_from_openapi
from pathwise_shared.access import AccessRule, access
from pathwise_shared.auth import ANONYMOUS, Principal
from pathwise_shared.problems import Forbidden, Unauthorized

ANON = {"roles": [], "scopes": [], "action": "read", "anonymous": True}
READ = {"roles": ["student", "teacher"], "scopes": [], "action": "read"}
VERIFY = "/v1/public/credentials/verify"
LIST = "/v1/learners/{learner_id}/credentials"


def _spec() -> dict[str, Any]:
    return {
        "paths": {
            VERIFY: {"post": {"operationId": "verify", "x-pathwise-access": ANON}},
            LIST: {"get": {"operationId": "list", "x-pathwise-access": READ},
                   "post": {"operationId": "issue", "x-pathwise-access": {**READ, "action": "write"}}},
        }
    }  # fmt: skip


def test_the_declaration_round_trips_and_refuses_what_it_cannot_mean() -> None:
    declared = access(anonymous=True)
    rule = AccessRule.from_openapi(declared["openapi_extra"]["x-pathwise-access"])
    assert rule is not None and rule.anonymous and not rule.roles
    assert declared["openapi_extra"]["security"] == []
    for bad in ({"roles": {"teacher"}}, {"learner": "learner_id"}, {"action": "write"}):
        with pytest.raises(ValueError, match="anonymous"):
            access(anonymous=True, **bad)
    # Published with roles or an object beside it: not understood, so never exposed.
    for raw in ({**ANON, "roles": ["teacher"]}, {**ANON, "anonymous": "yes"},
                {**ANON, "object": {"kind": "learner", "param": "learner_id"}}):  # fmt: skip
        assert AccessRule.from_openapi(raw) is None
    assert AccessRule.from_openapi(READ) == AccessRule(
        frozenset(READ["roles"]), frozenset(), "read"
    )


def test_the_route_table_knows_which_operations_are_anonymous() -> None:
    table = RouteTable(operations_from_openapi("assessment", _spec()))
    assert table.is_anonymous("POST", VERIFY)
    assert not table.is_anonymous("GET", VERIFY)
    learner = f"/v1/learners/{uuid.uuid4()}/credentials"
    assert not table.is_anonymous("GET", learner) and not table.is_anonymous("POST", learner)
    assert not table.is_anonymous("GET", "/v1/nothing")


def test_the_anonymous_principal_passes_only_anonymous_rules() -> None:
    (verify, listing, _) = sorted(
        operations_from_openapi("assessment", _spec()), key=lambda o: o.operation_id, reverse=True
    )
    check_route(verify.rule, ANONYMOUS)
    check_route(verify.rule, Principal(subject="u", district_id=uuid.uuid4(), roles=frozenset({"guardian"})))  # fmt: skip
    with pytest.raises(Unauthorized):
        check_route(listing.rule, ANONYMOUS)
    with pytest.raises(Forbidden):
        check_route(listing.rule, Principal(subject="u", district_id=uuid.uuid4()))


@pytest.fixture
def assessment_routes(gateway: ServiceClient) -> Iterator[None]:
    """The gateway's route table with the spec above (its upstreams are unreachable: a call
    that passes authentication is forwarded and answered 503)."""
    routes = gateway.app.state.routes
    saved = routes.table
    routes.table = RouteTable(operations_from_openapi("assessment", _spec()))
    try:
        yield
    finally:
        routes.table = saved


@pytest.mark.usefixtures("assessment_routes")
async def test_only_an_anonymous_operation_is_forwarded_without_a_token(
    gateway: ServiceClient,
) -> None:
    verified = await gateway.post(VERIFY, json={"credential": "a.b.c"})
    # Authenticated as anonymous and forwarded: the (unreachable) service's 503, not a 401.
    assert verified.status_code == 503, verified.text
    assert "ratelimit-limit" in verified.headers
    learner = f"/v1/learners/{uuid.uuid4()}/credentials"
    for method, body in (("GET", None), ("POST", b"{not json")):
        refused = await gateway.request(
            method, learner, content=body, headers={"content-type": "application/json"}
        )
        assert refused.status_code == 401, (method, refused.text)
        assert refused.headers["www-authenticate"].startswith("Bearer")
    # A gateway route of its own is not opened by any of this.
    assert (await gateway.get("/v1/clients")).status_code == 401
    # A bad token on an anonymous operation is still a bad token.
    bad = await gateway.post(
        VERIFY, json={"credential": "x"}, headers={"Authorization": "Bearer nonsense"}
    )
    assert bad.status_code == 401
