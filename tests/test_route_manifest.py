"""The route manifest (``pathwise_shared.route_manifest``) against the full OpenAPI documents.

The gateway's route table is read from each service's manifest; the table must be exactly what
the service's full document says (operations, access rules, UUID path parameters), or a route
would be forwarded with another rule than the one it declares.
"""

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from pathwise_assessment.app import create_app as assessment_app
from pathwise_gateway.proxy.domain.route_table import operations_from_openapi
from pathwise_pathways.app import create_app as pathways_app
from pathwise_profiles.app import create_app as profiles_app
from pathwise_shared.route_manifest import route_manifest

APPS: dict[str, Callable[[], FastAPI]] = {
    "profiles": profiles_app,
    "pathways": pathways_app,
    "assessment": assessment_app,
}


@pytest.mark.parametrize("service", sorted(APPS))
def test_the_manifest_gives_the_operations_of_the_full_document(service: str) -> None:
    app: FastAPI = APPS[service]()
    from_manifest = operations_from_openapi(service, route_manifest(app))
    from_document = operations_from_openapi(service, app.openapi())
    assert len(from_manifest) > 20  # the service's public operations, not an empty table
    assert sorted(from_manifest, key=repr) == sorted(from_document, key=repr)
    # UUID path parameters are what the gateway validates before forwarding: some must be there.
    assert any(op.uuid_params for op in from_manifest)


def test_a_route_left_out_of_the_document_is_left_out_of_the_manifest() -> None:
    app = FastAPI()

    @app.get("/v1/hidden/{thing_id}", include_in_schema=False)
    async def hidden(thing_id: int) -> None: ...

    @app.get("/v1/shown/{thing_id}", openapi_extra={"x-test": 1})
    async def shown(thing_id: int) -> None: ...

    paths = route_manifest(app)["paths"]
    assert list(paths) == ["/v1/shown/{thing_id}"]
    operation = paths["/v1/shown/{thing_id}"]["get"]
    assert operation["x-test"] == 1
    assert operation["parameters"] == [{"in": "path", "name": "thing_id", "schema": {}}]
