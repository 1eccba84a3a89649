"""The route table: which service owns a ``/v1`` operation, and the access rule it declared.

Built from the services' OpenAPI documents (pure: no I/O here). Path templates such as
``/v1/learners/{learner_id}/goals/{goal_id}`` match one path segment per parameter; a template
with more literal segments wins over one with fewer (``/v1/skills/search`` before
``/v1/skills/{code}``).
"""

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pathwise_shared.access import (
    ACCESS_EXTENSION,
    OBJECT_PARAMS,
    ONEROSTER_BASE,
    AccessRule,
    ObjectRef,
    is_public_path,
)

__all__ = [
    "HTTP_METHODS",
    "Match",
    "Operation",
    "RouteTable",
    "operations_from_openapi",
    "owner_by_prefix",
]

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# The ownership table of docs/contracts.md: used only to answer 503 for a service whose
# operations we could not load yet (it is down), instead of a misleading 404.
_PREFIXES: tuple[tuple[str, str], ...] = (
    (r"/v1/(districts|schools|sessions|courses|enrollments|users|guardians)(/.*)?", "profiles"),
    (r"/v1/classes/[^/]+(/enrollments(/.*)?)?", "profiles"),
    (r"/v1/learners/[^/]+/(profile|goals|history)(/.*)?", "profiles"),
    (r"/v1/roster/imports(/.*)?", "profiles"),
    (r"/v1/changes", "profiles"),
    (r"/v1/me/(notifications|notification-preferences|threads)(/.*)?", "profiles"),
    (r"/v1/(frameworks|skills|activities)(/.*)?", "pathways"),
    (r"/v1/learners/[^/]+/pathway(/.*)?", "pathways"),
    (r"/v1/learners/[^/]+/flags(/.*)?", "pathways"),
    (r"/v1/classes/[^/]+/(groups|insights)(/.*)?", "pathways"),
    (r"/v1/(items|assessments|attempts)(/.*)?", "assessment"),
    (r"/v1/learners/[^/]+/mastery(/.*)?", "assessment"),
    (r"/v1/mastery/fits(/.*)?", "assessment"),
    (r"/v1/learners/[^/]+/credentials(/.*)?", "assessment"),
    (
        r"/v1/public/(districts/[^/]+/(jwks\.json|issuer|credentials/.*)|credentials/verify)",
        "assessment",
    ),
    (re.escape(ONEROSTER_BASE) + r"/.*", "profiles"),
)
_PREFIX_RES = tuple((re.compile(p), s) for p, s in _PREFIXES)


def owner_by_prefix(path: str) -> str | None:
    for pattern, service in _PREFIX_RES:
        if pattern.fullmatch(path):
            return service
    return None


@dataclass(frozen=True)
class Operation:
    service: str
    method: str  # upper case
    template: str
    operation_id: str
    rule: AccessRule
    # Path parameters the owning service declares as ``format: uuid``.
    uuid_params: frozenset[str] = frozenset()


# C0 and C1 controls and DEL: never part of a real identifier; some break URL building (httpx
# refuses them) and some databases (PostgreSQL refuses NUL in text).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Match:
    operation: Operation
    params: Mapping[str, str]

    def invalid_param(self) -> str | None:
        """The first path parameter no object can be named by: a control character anywhere, or
        not a UUID where the service declared one. The caller answers 404 for it, as for an id
        that names nothing, before anything is forwarded."""
        for name, value in self.params.items():
            if _CONTROL.search(value):
                return name
            if name in self.operation.uuid_params and not _is_uuid(value):
                return name
        return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _uuid_params(item: Mapping[str, Any], op: Mapping[str, Any]) -> frozenset[str]:
    """Path parameters declared ``format: uuid`` (operation-level or path-level; a ``$ref``'d
    parameter is not resolved and so not checked here: the service still validates it)."""
    names: set[str] = set()
    for params in (item.get("parameters"), op.get("parameters")):
        if not isinstance(params, list):
            continue
        for param in params:
            if not isinstance(param, dict) or param.get("in") != "path":
                continue
            schema = param.get("schema")
            if isinstance(schema, dict) and schema.get("format") == "uuid":
                names.add(str(param.get("name")))
    return frozenset(names)


@dataclass(frozen=True)
class _Template:
    template: str
    regex: re.Pattern[str]
    literal_segments: int
    methods: dict[str, Operation]


def _compile(template: str) -> re.Pattern[str]:
    pattern, last = "", 0
    for found in _PARAM.finditer(template):
        pattern += re.escape(template[last : found.start()]) + f"(?P<{found.group(1)}>[^/]+)"
        last = found.end()
    return re.compile(pattern + re.escape(template[last:]))


def operations_from_openapi(service: str, spec: Mapping[str, Any]) -> list[Operation]:
    """The public operations of one service: public paths (``/v1`` and the OneRoster base path)
    that declare an access rule.

    An operation without a (valid) rule is not exposed: the gateway never forwards a call it
    cannot authorize.
    """
    ops: list[Operation] = []
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        return ops
    for template, item in paths.items():
        if not isinstance(template, str) or not is_public_path(template):
            continue
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            rule = AccessRule.from_openapi(op.get(ACCESS_EXTENSION))
            if rule is None:
                continue
            if (
                rule.object is not None
                and rule.object.source == "path"
                and f"{{{rule.object.param}}}" not in template
            ):
                continue
            if rule.object is None:
                rule = _with_named_object(rule, template)
            op_id = str(op.get("operationId") or f"{method}_{template}")
            ops.append(
                Operation(service, method.upper(), template, op_id, rule, _uuid_params(item, op))
            )
    return ops


def _with_named_object(rule: AccessRule, template: str) -> AccessRule:
    """A path that names an object is about that object, whatever the rule says: a rule that
    forgot to declare it still gets the object-level check (failing safe, never open)."""
    for param, kind in OBJECT_PARAMS.items():
        if f"{{{param}}}" in template:
            return replace(rule, object=ObjectRef(kind, param))
    return rule


class RouteTable:
    def __init__(self, operations: Iterable[Operation] = ()) -> None:
        by_template: dict[str, _Template] = {}
        for op in operations:
            entry = by_template.get(op.template)
            if entry is None:
                literal = sum(1 for s in op.template.split("/") if s and not _PARAM.search(s))
                entry = _Template(op.template, _compile(op.template), literal, {})
                by_template[op.template] = entry
            entry.methods.setdefault(op.method, op)
        # Bucket by segment count, most specific first: a lookup tries only same-length templates.
        self._buckets: dict[int, list[_Template]] = {}
        for entry in by_template.values():
            size = entry.template.count("/")
            self._buckets.setdefault(size, []).append(entry)
        for bucket in self._buckets.values():
            bucket.sort(key=lambda t: (-t.literal_segments, t.template))
        self.operations: list[Operation] = [
            op for t in by_template.values() for op in t.methods.values()
        ]

    def __len__(self) -> int:
        return len(self.operations)

    def is_anonymous(self, method: str, path: str) -> bool:
        """Whether ``method path`` is an operation its service declared anonymous (a tokenless
        call may go on to it, and to nothing else)."""
        found = self.match(method, path)
        return isinstance(found, Match) and found.operation.rule.anonymous

    def match(self, method: str, path: str) -> Match | list[str] | None:
        """The operation and its path parameters; the allowed methods when only the method is
        wrong; None when no template matches."""
        allowed: list[str] = []
        for entry in self._buckets.get(path.count("/"), ()):
            found = entry.regex.fullmatch(path)
            if found is None:
                continue
            op = entry.methods.get(method)
            if op is not None:
                return Match(op, found.groupdict())
            allowed.extend(m for m in entry.methods if m not in allowed)
        return allowed or None
