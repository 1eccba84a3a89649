"""A public ``/v1`` call, end to end: route → route-level check → object-level check →
idempotency → forward → audit. The router in ``proxy/api/forwarding.py`` only adapts HTTP to this."""

import uuid
from dataclasses import dataclass

from fastapi import FastAPI

from pathwise_gateway.edge.domain.access import check_route
from pathwise_gateway.edge.domain.methods import MethodNotAllowed
from pathwise_gateway.proxy.domain.answer_learners import learners_in_answer
from pathwise_gateway.proxy.domain.objects import object_id_of
from pathwise_gateway.proxy.domain.route_table import Match, Operation, owner_by_prefix
from pathwise_gateway.proxy.service.access import OWNING_SERVICE, AccessChecker, enforce
from pathwise_gateway.proxy.service.audit import AuditLog
from pathwise_gateway.proxy.service.directory import RouteDirectory
from pathwise_gateway.proxy.service.forward import BodyStream, Forwarded, Forwarder
from pathwise_gateway.proxy.service.idempotency import IdempotencyStore, Reservation
from pathwise_gateway.proxy.service.upstreams import Upstreams
from pathwise_gateway.settings import GatewaySettings
from pathwise_shared.auth import Principal
from pathwise_shared.idempotency import REPLAYED_HEADER, request_fingerprint
from pathwise_shared.pagination import MAX_PAGE_SIZE
from pathwise_shared.problems import (
    Forbidden,
    NotFound,
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
    # A streamed upload (``edge/domain/body_limits.py``): its body, passed on as it arrives;
    # ``body`` is then empty.
    stream: BodyStream | None = None


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

    async def fetch(
        self, principal: Principal, path: str, request_id: str, query: str = ""
    ) -> Forwarded:
        """A GET of one public operation on behalf of ``principal`` (for aggregates): routed and
        route-checked like a public call; the caller has done the object-level check."""
        match = await self._route(CallRequest("GET", path, query, {}, b"", request_id))
        check_route(match.operation.rule, principal)
        return await self.forwarder.forward(
            self.upstreams[match.operation.service],
            principal,
            method="GET",
            path=path,
            query=query,
            headers={},
            body=b"",
        )

    async def _authorize(
        self, principal: Principal, op: Operation, match: Match, call: CallRequest
    ) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """The route-level check, then the object-level check of the object the operation
        declared (path, query or body); the learner and class it concerns, for the audit log.

        A caller whose role may not call the operation at all still learns nothing about other
        districts: when the object is not in the caller's district the answer is 404, as it
        would be for an allowed role."""
        rule = op.rule
        ref = rule.object
        object_id = None if ref is None else object_id_of(ref, match.params, call.query, call.body)
        try:
            check_route(rule, principal)
        except Forbidden:
            if ref is not None and object_id is not None:
                decision = await self.access.check(principal, "read", ref.kind, str(object_id))
                if not decision.found:
                    enforce(decision, ref.kind)
            raise
        if ref is None or object_id is None:
            return None, None
        decision = await self.access.check(principal, rule.action, ref.kind, str(object_id))
        enforce(decision, ref.kind)
        if ref.kind == "class":
            return None, object_id
        return (object_id if ref.kind == "learner" else decision.learner_id), None

    async def call(self, principal: Principal, call: CallRequest) -> Forwarded:
        match = await self._route(call)
        op = match.operation
        # Our own pages are at most MAX_PAGE_SIZE; the OneRoster API pages by offset and serves a
        # larger limit as its own maximum (clients ask for thousands), so it checks its own.
        if (
            call.limit is not None
            and call.path.startswith("/v1/")
            and (not call.limit.isdigit() or int(call.limit) > MAX_PAGE_SIZE)
        ):
            raise UnprocessableContent(
                f"limit must be a whole number of at most {MAX_PAGE_SIZE}.", slug="page-size"
            )
        learner_id, class_id = await self._authorize(principal, op, match, call)
        reservation: Reservation | None = None
        # Anonymous callers share one principal: a key of theirs would replay another caller's
        # answer, so it is not honoured (anonymous operations create nothing anyway).
        anonymous = principal.kind == "anonymous"
        key = None if anonymous else call.headers.get("idempotency-key")
        # A streamed upload is not fingerprinted here (that needs the whole body before it is
        # sent): its key goes to the service, which fingerprints what the body carries (the
        # roster import: the zip's SHA-256 and the options) and replays or refuses itself.
        if call.method == "POST" and key is not None and call.stream is None:
            fingerprint = request_fingerprint(call.method, call.path, call.query, call.body)
            reserved = await self.idempotency.reserve(
                principal, key, method=call.method, path=call.path, fingerprint=fingerprint
            )
            if isinstance(reserved, Forwarded):
                replay = {
                    k: v for k, v in reserved.headers.items() if k.lower() != "idempotent-replayed"
                }
                replay[REPLAYED_HEADER.lower()] = "true"
                return Forwarded(reserved.status, replay, reserved.body)
            reservation = reserved

        try:
            answer = await self.forwarder.forward(
                self.upstreams[op.service],
                principal,
                method=call.method,
                path=call.path,
                query=call.query,
                headers=call.headers,
                body=call.body if call.stream is None else call.stream,
                # A download is passed on as it arrives; an answer kept for an idempotency key
                # is read whole (it is stored).
                stream_files=reservation is None,
            )
        except BaseException:
            if reservation is not None:
                await self.idempotency.release(reservation)
            raise
        if reservation is not None:
            await self.idempotency.complete(reservation, answer)
        if anonymous:
            # Nobody to attribute a read to; an anonymous operation reads nothing about a learner
            # by declaration (no object, no principal to scope by).
            return answer
        if learner_id is not None or class_id is not None:
            self.audit.record(
                principal,
                operation=op.operation_id,
                action=op.rule.action,
                method=call.method,
                path=call.path,
                status=answer.status,
                request_id=call.request_id,
                learner_id=learner_id,
                class_id=class_id,
            )
        else:
            # The path names no learner (an attempt, say): the answer does, when it is about one,
            # in its ``learner_id`` members or, where those cannot say it (a OneRoster page names
            # people by the district's sourcedIds), in the service's learners header.
            content_type = next(
                (v for k, v in answer.headers.items() if k.lower() == "content-type"), ""
            )
            named_learners = dict.fromkeys(learners_in_answer(content_type, answer.body))
            named_learners.update(dict.fromkeys(answer.learners))
            for named in named_learners:
                self.audit.record(
                    principal,
                    operation=op.operation_id,
                    action=op.rule.action,
                    method=call.method,
                    path=call.path,
                    status=answer.status,
                    request_id=call.request_id,
                    learner_id=named,
                )
        return answer


async def open_gateway(app: FastAPI) -> None:
    """Start-up hook, after the upstreams, the route directory and the audit log."""
    settings: GatewaySettings = app.state.settings
    upstreams: Upstreams = app.state.upstreams
    app.state.access = AccessChecker(
        upstreams["profiles"],
        settings.access_cache_seconds,
        owners={kind: upstreams[service] for kind, service in OWNING_SERVICE.items()},
    )
    app.state.gateway = Gateway(
        routes=app.state.routes,
        upstreams=upstreams,
        access=app.state.access,
        forwarder=Forwarder(
            settings.internal_token_secret.get_secret_value(), settings.internal_token_ttl_seconds
        ),
        audit=app.state.audit,
        idempotency=IdempotencyStore(
            app.state.db, settings.idempotency_ttl_hours, settings.idempotency_lease
        ),
    )
