"""A public ``/v1`` call, end to end: route → route-level check → object-level check →
idempotency → forward → audit. The router in ``api/proxy.py`` only adapts HTTP to this."""

import uuid
from dataclasses import dataclass

from fastapi import FastAPI

from pathwise_gateway.authz import check_route
from pathwise_gateway.domain.answer_learners import learners_in_answer
from pathwise_gateway.routing.directory import RouteDirectory
from pathwise_gateway.routing.forward import Forwarded, Forwarder
from pathwise_gateway.routing.table import Match, owner_by_prefix
from pathwise_gateway.service.access import AccessChecker, enforce
from pathwise_gateway.service.audit import AuditLog
from pathwise_gateway.service.idempotency import (
    IdempotencyStore,
    Reservation,
    request_fingerprint,
)
from pathwise_gateway.settings import GatewaySettings
from pathwise_gateway.upstreams import Upstreams
from pathwise_shared.auth import Principal
from pathwise_shared.pagination import MAX_PAGE_SIZE
from pathwise_shared.problems import (
    NotFound,
    Problem,
    ServiceUnavailable,
    UnprocessableContent,
)

__all__ = ["CallRequest", "Gateway", "open_gateway"]


@dataclass(frozen=True)
class CallRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    request_id: str
    limit: str | None = None


class MethodNotAllowed(Problem):
    status = 405
    slug = "method-not-allowed"


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


class Gateway:
    def __init__(
        self,
        routes: RouteDirectory,
        upstreams: Upstreams,
        access: AccessChecker,
        forwarder: Forwarder,
        audit: AuditLog,
        idempotency: IdempotencyStore,
    ) -> None:
        self.routes = routes
        self.upstreams = upstreams
        self.access = access
        self.forwarder = forwarder
        self.audit = audit
        self.idempotency = idempotency

    async def _route(self, call: CallRequest) -> Match:
        found = self.routes.table.match(call.method, call.path)
        if found is None:
            owner = owner_by_prefix(call.path)
            if owner is not None and not self.routes.loaded(owner):
                await self.routes.refresh_missing(owner)
                found = self.routes.table.match(call.method, call.path)
                if found is None and not self.routes.loaded(owner):
                    raise ServiceUnavailable(
                        f"The {owner} service is unavailable.", headers={"Retry-After": "5"}
                    )
        if found is None:
            raise NotFound("No such operation.", slug="no-such-operation")
        if isinstance(found, list):
            raise MethodNotAllowed(
                f"{call.method} is not allowed here.", headers={"Allow": ", ".join(found)}
            )
        bad = found.invalid_param()
        if bad is not None:
            # Like an id that names nothing: a path that cannot name an object is not forwarded.
            noun = bad.removesuffix("_id").replace("_", " ")
            raise NotFound(f"No such {noun}.", slug=f"{noun.replace(' ', '-')}-not-found")
        return found

    async def authorize_object(
        self, principal: Principal, action: str, kind: str, object_id: uuid.UUID
    ) -> None:
        """The object-level check of the gateway's own routes: 404 outside the caller's
        district, 403 when the caller has no relationship with the object."""
        enforce(await self.access.check(principal, action, kind, str(object_id)), kind)

    async def fetch(self, principal: Principal, path: str, request_id: str) -> Forwarded:
        """A GET of one public operation on behalf of ``principal`` (for aggregates): routed and
        route-checked like a public call; the caller has done the object-level check."""
        match = await self._route(CallRequest("GET", path, "", {}, b"", request_id))
        check_route(match.operation.rule, principal)
        return await self.forwarder.forward(
            self.upstreams[match.operation.service], principal, method="GET", path=path,
            query="", headers={}, body=b"",
        )  # fmt: skip

    async def call(self, principal: Principal, call: CallRequest) -> Forwarded:
        match = await self._route(call)
        op = match.operation
        check_route(op.rule, principal)
        if call.limit is not None and (not call.limit.isdigit() or int(call.limit) > MAX_PAGE_SIZE):
            raise UnprocessableContent(
                f"limit must be a whole number of at most {MAX_PAGE_SIZE}.", slug="page-size"
            )
        learner_id = class_id = None
        if op.rule.object is not None:
            kind = op.rule.object.kind
            object_id = _uuid_or_none(match.params.get(op.rule.object.param))
            if object_id is None:
                raise NotFound(f"No such {kind}.", slug=f"{kind}-not-found", check="object")
            decision = await self.access.check(principal, op.rule.action, kind, str(object_id))
            enforce(decision, kind)
            learner_id = object_id if kind == "learner" else None
            class_id = object_id if kind == "class" else None

        reservation: Reservation | None = None
        key = call.headers.get("idempotency-key")
        if call.method == "POST" and key is not None:
            fingerprint = request_fingerprint(call.method, call.path, call.query, call.body)
            reserved = await self.idempotency.reserve(
                principal, key, method=call.method, path=call.path, fingerprint=fingerprint
            )
            if isinstance(reserved, Forwarded):
                replay = dict(reserved.headers)
                replay["idempotent-replayed"] = "true"
                return Forwarded(reserved.status, replay, reserved.body)
            reservation = reserved

        try:
            answer = await self.forwarder.forward(
                self.upstreams[op.service], principal, method=call.method, path=call.path,
                query=call.query, headers=call.headers, body=call.body,
            )  # fmt: skip
        except BaseException:
            if reservation is not None:
                await self.idempotency.release(reservation)
            raise
        if reservation is not None:
            await self.idempotency.complete(reservation, answer)
        if learner_id is not None or class_id is not None:
            self.audit.record(
                principal, operation=op.operation_id, action=op.rule.action, method=call.method,
                path=call.path, status=answer.status, request_id=call.request_id,
                learner_id=learner_id, class_id=class_id,
            )  # fmt: skip
        else:
            # The path names no learner (an attempt, say): the answer does, when it is about one.
            content_type = next(
                (v for k, v in answer.headers.items() if k.lower() == "content-type"), ""
            )
            for named in learners_in_answer(content_type, answer.body):
                self.audit.record(
                    principal, operation=op.operation_id, action=op.rule.action,
                    method=call.method, path=call.path, status=answer.status,
                    request_id=call.request_id, learner_id=named,
                )  # fmt: skip
        return answer


async def open_gateway(app: FastAPI) -> None:
    """Start-up hook, after the upstreams, the route directory and the audit log."""
    settings: GatewaySettings = app.state.settings
    upstreams: Upstreams = app.state.upstreams
    app.state.access = AccessChecker(upstreams["profiles"], settings.access_cache_seconds)
    app.state.gateway = Gateway(
        routes=app.state.routes,
        upstreams=upstreams,
        access=app.state.access,
        forwarder=Forwarder(
            settings.internal_token_secret.get_secret_value(), settings.internal_token_ttl_seconds
        ),
        audit=app.state.audit,
        idempotency=IdempotencyStore(app.state.db, settings.idempotency_ttl_hours),
    )
