"""The public OpenAPI document as a product: what a generated client and a reader need, made from
the services' documents by rules, so a new route gets them without anyone writing them by hand.

Pure (documents in, a document out). :func:`build_public_openapi` takes the gateway's own document
and the services' and:

- keeps the public operations only (``/v1`` and OneRoster paths and the gateway's probes, never ``/internal``),
  and then only the component schemas those operations reach, so no internal body leaks;
- gives each schema one clean name that is also its ``title`` (a name two services define
  differently becomes ``<Service><Name>``; ``Page_X_`` becomes ``PageX``), because generators
  name their types by title and drop one of two that share it;
- declares every tag an operation uses (with the description the service gave it), completes
  each operation's description with who may call it (from its ``x-pathwise-access`` rule), and
  declares every error status it can answer with the problem schema (``application/problem+json``);
- adds an example to every operation's JSON bodies: the schema's own ``examples`` where a field
  has one, else a value built from the schema (see :func:`example_of`), and for each error status
  the problem body that status carries.
"""

import copy
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pathwise_shared.access import ACCESS_EXTENSION, AccessRule, is_public_path
from pathwise_shared.problem_types import CATALOG, PROBLEM_TYPE_BASE

__all__ = [
    "HEALTH_PATHS",
    "METHODS",
    "PROBLEM_CONTENT_TYPE",
    "build_public_openapi",
    "example_of",
    "reachable_schemas",
]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_CONTENT_TYPE = "application/problem+json"
# The gateway's own probes stay documented (load balancers and the foundation tests use them).
HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
_SCHEMAS = "#/components/schemas/"
_PROBLEM_REF = {"$ref": _SCHEMAS + "ProblemDetail"}

# Every answer the system can give an operation, by what the operation is, so a generated client
# (and a contract test) knows each one: the gateway's own (auth, object check, rate limit, body
# limit, idempotency, an upstream down, failing or slow) and the services' (conflicts, ETags).
# The slug is the type the status usually carries (the example of the response).
_ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("bad-request", "Bad Request: the body could not be read, or a cursor is not one we gave"),
    401: ("unauthorized", "Unauthorized: missing or invalid bearer token"),
    403: (
        "forbidden-role",
        "Forbidden: the caller's role, scopes or relationship do not allow this",
    ),
    404: ("not-found", "Not Found (also: an object of another district)"),
    409: ("conflict", "Conflict: the object's state, or an Idempotency-Key still in progress"),
    412: ("precondition-failed", "Precondition Failed: the If-Match ETag is stale"),
    413: ("body-too-large", "Content Too Large: see the body limit"),
    415: ("unsupported-file-type", "Unsupported Media Type: the file's content is not accepted"),
    422: ("validation-error", "Unprocessable Content: the request is invalid"),
    428: ("precondition-required", "Precondition Required: send If-Match with the ETag you read"),
    429: ("too-many-requests", "Too Many Requests: see Retry-After and the RateLimit headers"),
    500: ("internal-error", "Internal Server Error: a bug; quote the request id"),
    502: ("upstream-error", "Bad Gateway: the owning service failed; quote the request id"),
    503: ("service-unavailable", "Service Unavailable: the service is down; see Retry-After"),
    504: ("upstream-timeout", "Gateway Timeout: the owning service did not answer in time"),
}
_ALWAYS = frozenset({400, 401, 403, 404, 422, 429, 500, 502, 503, 504})
_WITH_BODY = frozenset({413})
_WRITES = frozenset({409})
_CONDITIONAL = frozenset({412, 428})
_ROLE_NAMES = {
    "student": "students",
    "guardian": "guardians",
    "teacher": "teachers",
    "school_admin": "school admins",
    "district_admin": "district admins",
}


def _statuses(method: str, operation: Mapping[str, Any], public: bool) -> frozenset[int]:
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
    if public:
        statuses -= {401, 403}
    return frozenset(statuses)


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMAS):
                yield value.removeprefix(_SCHEMAS)
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def reachable_schemas(paths: Mapping[str, Any], schemas: Mapping[str, Any]) -> set[str]:
    """The names of the schemas the operations use, directly or through other schemas."""
    seen: set[str] = set()
    todo = list(_refs(paths))
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
    return seen


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMAS):
                name = value.removeprefix(_SCHEMAS)
                out[key] = _SCHEMAS + renames.get(name, name)
            else:
                out[key] = _rewrite_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _clean_name(name: str) -> str:
    # Page_ItemOut_ (pydantic's name of Page[ItemOut]) -> PageItemOut: a valid identifier in
    # every generated language, and one no generator mangles differently.
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _service_prefix(service: str) -> str:
    return _clean_name(service)


# --- examples -------------------------------------------------------------------------------

_FORMAT_EXAMPLES = {
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "date-time": "2026-09-01T08:30:00Z",
    "date": "2026-09-01",
    "email": "teacher@example.org",
    "uri": "https://example.org/resource",
    "binary": "",
}
# Tried in order for a string with a pattern and no example of its own.
_STRING_CANDIDATES = (
    "math", "en", "a1", "example", "CCSS.Math.3.OA", "example.value", "sample_value",
    "teacher@example.org", "https://example.org", "q1", "+1 555 0100",
)  # fmt: skip


def _resolve(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMAS):
        found = schemas.get(ref.removeprefix(_SCHEMAS))
        return found if isinstance(found, Mapping) else {}
    return schema


def _fits(value: str, schema: Mapping[str, Any]) -> bool:
    if len(value) < int(schema.get("minLength", 0)):
        return False
    if "maxLength" in schema and len(value) > int(schema["maxLength"]):
        return False
    pattern = schema.get("pattern")
    return pattern is None or re.search(str(pattern), value) is not None


def _string_example(schema: Mapping[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMAT_EXAMPLES:
        return _FORMAT_EXAMPLES[fmt]
    if schema.get("contentMediaType"):
        return ""
    for candidate in (name, *_STRING_CANDIDATES):
        if candidate and _fits(candidate, schema):
            return candidate
    return "x" * max(1, int(schema.get("minLength", 1)))


def _number_example(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if integer:
        if low is None:
            return 1 if high is None or high >= 1 else int(high)
        return int(low) + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if low is None and high is None:
        return 1.5
    if low is None:
        return float(high) - 1
    if high is None:
        return float(low) + 1
    return (float(low) + float(high)) / 2


def example_of(
    schema: Mapping[str, Any], schemas: Mapping[str, Any], name: str = "", depth: int = 0
) -> Any:
    """A value that validates against ``schema``: its own example, const, enum or default first,
    else one built from its type (every property of an object, one item of an array)."""
    schema = _resolve(schema, schemas)
    for key in ("examples", "example", "const", "enum", "default"):
        if key in schema:
            value = schema[key]
            if key in ("examples", "enum"):
                if isinstance(value, list) and value:
                    return copy.deepcopy(value[0])
                continue
            if key == "default" and value is None and depth > 0:
                continue
            return copy.deepcopy(value)
    for key in ("allOf", "anyOf", "oneOf"):
        options = [o for o in schema.get(key, []) if _resolve(o, schemas).get("type") != "null"]
        if options:
            return example_of(options[0], schemas, name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        if depth > 8:
            return {}
        value = {
            prop: example_of(sub, schemas, prop, depth + 1)
            for prop, sub in (schema.get("properties") or {}).items()
        }
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and len(value) < int(schema.get("minProperties", 0)):
            # A map (``dict[str, X]``) that must not be empty: one entry.
            value[_string_example(schema.get("propertyNames") or {}, "key")] = example_of(
                extra, schemas, "", depth + 1
            )
        return value
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        if depth > 8:
            return []
        return [example_of(schema.get("items") or {}, schemas, name, depth + 1)] * count
    if kind == "string":
        return _string_example(schema, name)
    if kind in ("integer", "number"):
        return _number_example(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def _problem_example(status: int, slug: str, path: str) -> dict[str, Any]:
    kind = CATALOG[slug]
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": kind.title,
        "status": status,
        "detail": kind.when or kind.title,
        "instance": path,
        "request_id": "6f1c2a9e-1b7d-4c55-9d0e-0a4c2f7e9b31",
    }
    if slug == "validation-error":
        body["errors"] = [{"field": "body.name", "message": "Field required", "type": "missing"}]
    return body


# --- operations -----------------------------------------------------------------------------


def _access_text(rule: AccessRule | None, public: bool) -> str:
    if public:
        return "**Access**: no token needed."
    if rule is None:
        return "**Access**: a bearer token; the service applies its own checks."
    if rule.roles:
        roles = ", ".join(_ROLE_NAMES.get(r, r) for r in _ROLE_NAMES if r in rule.roles)
        who = f"{roles} of the district"
    else:
        who = "operators only (the system principal)"
    text = f"**Access** ({rule.action}): {who}"
    if rule.scopes:
        scopes = ", ".join(f"`{s}`" for s in sorted(rule.scopes))
        text += f"; integration clients with one of the scopes {scopes}"
    text += "."
    if rule.object is not None:
        text += (
            f" The gateway checks the caller's relation to the {rule.object.kind} named by "
            f"`{rule.object.param}` (in the {rule.object.source}) before forwarding."
        )
    if rule.service_checks:
        params = ", ".join(f"`{p}`" for p in sorted(rule.service_checks))
        text += f" The service checks {params} itself."
    return text


def _describe(operation: dict[str, Any], public: bool) -> None:
    rule = AccessRule.from_openapi(operation.get(ACCESS_EXTENSION))
    own = str(operation.get("description") or "").strip()
    if not own:
        summary = str(operation.get("summary") or operation.get("operationId") or "").strip()
        own = summary.rstrip(".") + "."
    access_text = _access_text(rule, public)
    if access_text not in own:
        own = f"{own}\n\n{access_text}"
    operation["description"] = own


def _declare_errors(path: str, method: str, operation: dict[str, Any], public: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(_statuses(method, operation, public)):
        slug, description = _ERRORS[status]
        responses.setdefault(str(status), {"description": description})
    for code, response in responses.items():
        if not code.isdigit() or int(code) < 400 or not isinstance(response, dict):
            continue
        content: dict[str, Any] = response.setdefault("content", {})
        # FastAPI writes a problem+json response's model under application/json too; the
        # services never answer an error that way (the token endpoint's OAuth errors declare
        # their own application/json schema, which is kept).
        if _same(content.get("application/json", {}).get("schema"), _PROBLEM_REF):
            del content["application/json"]
        if not content:
            content[PROBLEM_CONTENT_TYPE] = {"schema": dict(_PROBLEM_REF)}
        slug = _ERRORS.get(int(code), ("", ""))[0]
        media = content.get(PROBLEM_CONTENT_TYPE)
        if slug and isinstance(media, dict) and "example" not in media:
            media["example"] = _problem_example(int(code), slug, path)


def _add_examples(operation: dict[str, Any], schemas: Mapping[str, Any]) -> None:
    bodies = [operation.get("requestBody") or {}]
    bodies += [r for code, r in (operation.get("responses") or {}).items() if code.startswith("2")]
    for body in bodies:
        for media_type, media in (body.get("content") or {}).items():
            if "example" in media or "examples" in media or "schema" not in media:
                continue
            if media_type == "application/json" or media_type.endswith("+json"):
                media["example"] = example_of(media["schema"], schemas)


# --- the document ---------------------------------------------------------------------------


def _merge_schemas(
    own: Mapping[str, Any], services: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """All schemas under their public names, and each document's renames (old -> new name)."""
    merged: dict[str, Any] = {}
    renames: dict[str, dict[str, str]] = {}
    documents = {"": own, **dict(sorted(services.items()))}
    for service, document in documents.items():
        theirs: Mapping[str, Any] = (document.get("components") or {}).get("schemas") or {}
        mine: dict[str, str] = {}
        for name, schema in theirs.items():
            public = _clean_name(name)
            if public in merged and not _same(merged[public][1], schema):
                public = _service_prefix(service) + public
            mine[name] = public
            merged.setdefault(public, (service, schema))
        renames[service] = mine
    schemas = {}
    for public, (service, schema) in merged.items():
        schema = _rewrite_refs(copy.deepcopy(schema), renames[service])
        schema["title"] = public
        schemas[public] = schema
    return schemas, renames


def build_public_openapi(
    own: Mapping[str, Any],
    services: Mapping[str, Mapping[str, Any]],
    *,
    problem_schema: Mapping[str, Any],
    info: Mapping[str, Any] | None = None,
    servers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The one public document: see the module doc. ``problem_schema`` is the JSON schema of
    the problem body (with its ``$defs``); ``info`` and ``servers`` are merged into the
    document's own."""
    schemas, renames = _merge_schemas(own, services)
    paths: dict[str, Any] = {}
    tags: dict[str, dict[str, Any]] = {}
    documents = {"": own, **dict(sorted(services.items()))}
    for service, source in documents.items():
        for tag in source.get("tags") or []:
            if isinstance(tag, dict) and "name" in tag:
                tags.setdefault(str(tag["name"]), dict(tag))
        for path, item in (source.get("paths") or {}).items():
            keep = is_public_path(str(path)) or (service == "" and path in HEALTH_PATHS)
            if keep and path not in paths:
                paths[path] = _rewrite_refs(copy.deepcopy(item), renames[service])
    problem = copy.deepcopy(dict(problem_schema))
    for name, schema in problem.pop("$defs", {}).items():
        schemas[name] = {**schema, "title": name}
    schemas["ProblemDetail"] = {**problem, "title": "ProblemDetail"}
    for path, item in paths.items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            public = path in HEALTH_PATHS or operation.get("security") == []
            operation["security"] = [] if public else [{"bearer": []}]
            _describe(operation, public)
            _declare_errors(path, method, operation, public)
            _add_examples(operation, schemas)
    used = reachable_schemas(paths, schemas)
    document: dict[str, Any] = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {**dict(own.get("info") or {}), **dict(info or {})},
    }
    if servers:
        document["servers"] = servers
    document["tags"] = [
        tags.get(name, {"name": name})
        for name in sorted({t for item in paths.values() for op in item.values()
                            if isinstance(op, dict) for t in op.get("tags", [])})
    ]  # fmt: skip
    document["paths"] = paths
    document["components"] = {
        "schemas": {name: schemas[name] for name in sorted(used)},
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An access token from POST /v1/auth/token (or the district "
                "identity provider's JWT).",
            }
        },
    }
    return document
