"""``/openapi.json`` of the gateway: the one public document, built by
:func:`pathwise_gateway.proxy.domain.public_openapi.build_public_openapi` from the gateway's own
operations and the documents the services publish (fetched when the document is asked for, and
again after the route table's refresh period)."""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pathwise_gateway.proxy.domain.public_openapi import build_public_openapi
from pathwise_shared.problems import ProblemDetail

__all__ = ["install_merged_openapi", "public_openapi"]

_INFO = {"contact": {"name": "Pathwise", "url": "https://pathwise.dev"}}
# Where the gateway answers: the same origin as the document by default; a generated client
# takes its base URL at run time anyway.
_SERVERS = [
    {
        "url": "{scheme}://{host}",
        "description": "the Pathwise gateway of a district's installation",
        "variables": {
            "scheme": {"default": "http", "enum": ["http", "https"]},
            "host": {"default": "localhost:8000", "description": "host and port"},
        },
    }
]


def public_openapi(app: FastAPI, services: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The public document of ``app`` (the gateway) with ``services``' documents merged in."""
    own = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    return build_public_openapi(
        own,
        services,
        problem_schema=ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}"),
        info=_INFO,
        servers=_SERVERS,
    )


def install_merged_openapi(app: FastAPI) -> None:
    """``/openapi.json`` (and so ``/docs``) serve the merged document, rebuilt when the route
    table or a service's document changes.

    FastAPI's own route for the document calls the synchronous ``app.openapi()``; the services'
    documents are fetched on demand, so the route is replaced by one that fetches them first.
    ``app.openapi()`` then answers from what was fetched last."""
    cache: dict[str, Any] = {}
    fetched: dict[str, Mapping[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        directory = getattr(app.state, "routes", None)
        key = (directory.version if directory is not None else -1, *map(id, fetched.values()))
        if cache.get("key") == key and "doc" in cache:
            return dict(cache["doc"])
        doc = public_openapi(app, dict(fetched))
        cache.update(key=key, doc=doc)
        return doc

    async def serve(_request: Request) -> JSONResponse:
        directory = getattr(app.state, "routes", None)
        documents = await directory.documents() if directory is not None else {}
        fetched.clear()
        fetched.update(documents)
        return JSONResponse(openapi())

    app.openapi = openapi  # type: ignore[method-assign]
    routes = app.router.routes
    for index, route in enumerate(routes):
        if isinstance(route, Route) and route.path == app.openapi_url:
            routes[index] = Route(route.path, serve, methods=["GET"], include_in_schema=False)
