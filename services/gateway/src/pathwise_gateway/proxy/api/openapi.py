"""One public OpenAPI document: the gateway's own ``/v1`` operations and every public operation
the services publish, each with its auth (bearer) and problem+json error responses declared.

Only public paths are kept (``/v1`` and the OneRoster base path; never ``/internal``), plus the gateway's own ``/healthz`` and
``/readyz`` probes. Component schemas are
merged by name; a name two services define differently is renamed ``<Service>_<Name>`` (and the
references of that service rewritten), so a generated client gets one type per shape.
"""

import copy
import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from pathwise_shared.access import is_public_path
from pathwise_shared.problems import ProblemDetail

__all__ = ["install_merged_openapi", "merge_openapi"]

# Every answer the system can give an operation, by what the operation is, so a generated client
# (and a contract test) knows each one: the gateway's own (auth, object check, rate limit, body
# limit, idempotency, an upstream down, failing or slow) and the services' (conflicts, ETags).
_ERRORS = {
    400: "Bad Request: the body could not be read, or a cursor is not one we gave",
    401: "Unauthorized: missing or invalid bearer token",
    403: "Forbidden: the caller's role, scopes or relationship do not allow this",
    404: "Not Found (also: an object of another district)",
    409: "Conflict: the object's state, or an Idempotency-Key still in progress",
    412: "Precondition Failed: the If-Match ETag is stale",
    413: "Content Too Large: see the body limit",
    422: "Unprocessable Content: the request is invalid",
    428: "Precondition Required: send If-Match with the ETag you read",
    429: "Too Many Requests: see Retry-After and the RateLimit headers",
    502: "Bad Gateway: the owning service failed; quote the request id",
    503: "Service Unavailable: the owning service is down; see Retry-After",
    504: "Gateway Timeout: the owning service did not answer in time; see Retry-After",
}
_ALWAYS = frozenset({400, 401, 403, 404, 422, 429, 502, 503, 504})
_WITH_BODY = frozenset({413})
_WRITES = frozenset({409})
_CONDITIONAL = frozenset({412, 428})


def _statuses(method: str, operation: dict[str, Any]) -> frozenset[int]:
    statuses = set(_ALWAYS)
    if "requestBody" in operation or method in ("post", "put", "patch"):
        statuses |= _WITH_BODY
    if method in ("post", "put", "patch", "delete"):
        statuses |= _WRITES
    headers = {
        str(p.get("name", "")).lower()
        for p in operation.get("parameters", [])
        if isinstance(p, dict) and p.get("in") == "header"
    }
    if "if-match" in headers:
        statuses |= _CONDITIONAL
    return frozenset(statuses)


# The gateway's own probes stay documented (load balancers and the foundation tests use them).
_HEALTH = frozenset({"/healthz", "/readyz"})
_PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetail"}


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if (
                key == "$ref"
                and isinstance(value, str)
                and value.startswith("#/components/schemas/")
            ):
                name = value.rsplit("/", 1)[1]
                out[key] = f"#/components/schemas/{renames.get(name, name)}"
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _declare_auth_and_errors(method: str, operation: dict[str, Any]) -> None:
    public = operation.get("security") == []
    if not public:
        operation["security"] = [{"bearer": []}]
    responses = operation.setdefault("responses", {})
    for status in sorted(_statuses(method, operation)):
        description = _ERRORS[status]
        if public and status in (401, 403):
            continue
        responses.setdefault(
            str(status),
            {
                "description": description,
                "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
            },
        )


def merge_openapi(
    own: Mapping[str, Any], services: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    merged: dict[str, Any] = copy.deepcopy(dict(own))
    merged["paths"] = {
        p: v for p, v in merged.get("paths", {}).items() if is_public_path(p) or p in _HEALTH
    }
    components = merged.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for service, spec in sorted(services.items()):
        theirs: dict[str, Any] = spec.get("components", {}).get("schemas", {}) or {}
        renames: dict[str, str] = {}
        for name, schema in theirs.items():
            if name in schemas and json.dumps(schemas[name], sort_keys=True) != json.dumps(
                schema, sort_keys=True
            ):
                renames[name] = f"{service.capitalize()}_{name}"
        for name, schema in theirs.items():
            schemas[renames.get(name, name)] = _rewrite_refs(copy.deepcopy(schema), renames)
        for path, item in (spec.get("paths") or {}).items():
            if not is_public_path(str(path)) or path in merged["paths"]:
                continue
            merged["paths"][path] = _rewrite_refs(copy.deepcopy(item), renames)
    schemas["ProblemDetail"] = ProblemDetail.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    schemas.update(schemas["ProblemDetail"].pop("$defs", {}))
    for path, item in merged["paths"].items():
        if path in _HEALTH:
            for operation in item.values():
                operation["security"] = []
            continue
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _declare_auth_and_errors(method, operation)
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /v1/auth/token (or the district identity provider's JWT).",
    }
    return merged


def install_merged_openapi(app: FastAPI) -> None:
    """``/openapi.json`` (and so ``/docs``) serve the merged document, rebuilt when routes change."""
    cache: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        directory = getattr(app.state, "routes", None)
        specs = dict(directory.specs) if directory is not None else {}
        key = directory.version if directory is not None else -1
        if cache.get("key") == key and "doc" in cache:
            return dict(cache["doc"])
        own = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        doc = merge_openapi(own, specs)
        cache.update(key=key, doc=doc)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
