"""The route manifest: what the gateway routes on, without building the OpenAPI document.

The gateway's route table needs, for each public operation, its method, path template,
operation id, access declaration (``x-pathwise-access``, an ``openapi_extra``) and which path
parameters are UUIDs. It used to read them from each service's ``/openapi.json``, whose first
build costs 0.3-1.5 s of CPU per service (pydantic's JSON schemas of every model), paid by every
start of every service, on the start-up's critical path. The manifest is the same facts read
straight from the routes: a document shaped like OpenAPI's ``paths`` (so the gateway reads both
with one function), with nothing else in it. The full document is still served, built when
someone asks for it (the gateway's merged ``/openapi.json``).

``tests/test_route_manifest.py`` holds the manifest of each of the four
services against the operations read from its full document: a route the manifest reads
differently fails there.
"""

import uuid
from typing import Any

from fastapi import FastAPI, params, routing
from fastapi.dependencies.utils import get_flat_params
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["ROUTE_MANIFEST_PATH", "install_route_manifest", "route_manifest"]

ROUTE_MANIFEST_PATH = "/internal/route-manifest"


def _path_parameters(route: Any) -> list[dict[str, Any]]:
    # Path parameters of the route and of its dependencies, as OpenAPI lists them; only the
    # ``format: uuid`` mark matters to the gateway (it refuses a malformed id itself).
    found: list[dict[str, Any]] = []
    for field in get_flat_params(route.dependant):
        if isinstance(field.field_info, params.Path):
            uuid_typed = field.field_info.annotation is uuid.UUID
            schema = {"type": "string", "format": "uuid"} if uuid_typed else {}
            found.append({"in": "path", "name": field.alias, "schema": schema})
    return found


def route_manifest(app: FastAPI) -> dict[str, Any]:
    """``{"paths": {template: {method: operation}}}`` for every route of the OpenAPI document,
    each operation with ``operationId``, the path ``parameters`` and the route's
    ``openapi_extra`` (where the access declaration is)."""
    paths: dict[str, dict[str, Any]] = {}
    # FastAPI's own iteration of the routes (included routers resolved), as get_openapi does.
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute):
            continue
        if not context.include_in_schema:
            continue
        parameters = _path_parameters(context)
        for method in sorted(context.methods or ()):
            operation: dict[str, Any] = {
                "operationId": context.operation_id or context.unique_id,
                "parameters": parameters,
            }
            operation.update(context.openapi_extra or {})
            paths.setdefault(str(context.path_format), {})[method.lower()] = operation
    return {"paths": paths}


def install_route_manifest(app: FastAPI) -> None:
    """Serve :func:`route_manifest` at :data:`ROUTE_MANIFEST_PATH` (built once: routes do not
    change while a process runs). Public facts, as the OpenAPI document is: no token."""
    built: dict[str, Any] = {}

    async def manifest(_request: Request) -> Response:
        if "doc" not in built:
            built["doc"] = route_manifest(app)
        return JSONResponse(built["doc"])

    app.add_route(ROUTE_MANIFEST_PATH, manifest, include_in_schema=False)
