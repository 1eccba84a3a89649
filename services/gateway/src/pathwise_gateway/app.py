"""The gateway service application."""

from functools import partial

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from pathwise_gateway.aggregates import api as aggregates
from pathwise_gateway.clients import api as clients
from pathwise_gateway.clients.service import authenticate_client
from pathwise_gateway.deletions import api as deletions_api
from pathwise_gateway.deletions.service import close_deletions, open_deletions
from pathwise_gateway.edge.api import auth, problem_pages
from pathwise_gateway.edge.api.deps import ANONYMOUS_OPERATIONS_KEY
from pathwise_gateway.edge.domain.body_limits import body_limit
from pathwise_gateway.edge.middleware.auth_first import AuthFirstMiddleware
from pathwise_gateway.edge.middleware.rate_headers import RateLimitHeadersMiddleware
from pathwise_gateway.edge.service.authenticator import open_authenticator
from pathwise_gateway.events.api import routes as events_api
from pathwise_gateway.events.service.hub import event_hub_hooks
from pathwise_gateway.exports import api as exports_api
from pathwise_gateway.exports.service import close_exports, open_exports
from pathwise_gateway.learner_data import LEARNER_DATA
from pathwise_gateway.migrations import MIGRATIONS
from pathwise_gateway.models import outbox
from pathwise_gateway.proxy.api import audit
from pathwise_gateway.proxy.api import forwarding as proxy
from pathwise_gateway.proxy.api.fast_path import install_forward_first
from pathwise_gateway.proxy.api.openapi import install_merged_openapi
from pathwise_gateway.proxy.service.audit import start_audit_log, stop_audit_log
from pathwise_gateway.proxy.service.audit_retention import (
    start_audit_retention,
    stop_audit_retention,
)
from pathwise_gateway.proxy.service.directory import (
    RouteDirectory,
    route_readiness,
    start_route_directory,
    stop_route_directory,
)
from pathwise_gateway.proxy.service.gateway import open_gateway
from pathwise_gateway.proxy.service.upstreams import close_upstreams, open_upstreams
from pathwise_gateway.settings import GatewaySettings, get_settings
from pathwise_gateway.webhooks.api import endpoints as webhooks_api
from pathwise_gateway.webhooks.api import inbound as webhooks_inbound
from pathwise_gateway.webhooks.service.delivery import WEBHOOK_GUARD
from pathwise_shared.app import create_service_app
from pathwise_shared.body_limit import BodyLimitMiddleware
from pathwise_shared.inputs import MAX_JSON_DEPTH, JsonDepthMiddleware

__all__ = ["create_app"]

EXPOSED_HEADERS = [
    "ETag", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed",
    "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy",
    "Link", "X-Total-Count",
]  # fmt: skip
ALLOWED_HEADERS = [
    "Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Request-ID",
]  # fmt: skip


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """The gateway: the features composed here, the only place that knows all of them. Features
    depend one way (webhooks → events → aggregates → proxy → clients → edge, docs/gateway.md,
    "Layout"); where a lower feature needs an upper one's work, it declares a port and this
    function plugs the implementation in (the client check for the token endpoint, the webhooks
    guard for the event dispatcher)."""
    settings = settings or get_settings()
    start_event_hub, stop_event_hub = event_hub_hooks(WEBHOOK_GUARD)
    app = create_service_app(
        settings,
        title="Pathwise API",
        description="The one public API of Pathwise: authentication, authorization, routing, aggregates, rate limits, audit, events and webhooks.",
        migrations=MIGRATIONS,
        outbox=outbox,
        openapi_tags=[
            {"name": "auth", "description": "Access tokens (OAuth2) and who the caller is"},
            {
                "name": "clients",
                "description": "Integration clients of the district and their credentials",
            },
            {"name": "aggregates", "description": "Views joined across services in one call"},
            {"name": "audit", "description": "The audit log of reads and writes"},
            {
                "name": "exports",
                "description": "A copy of all of a learner's records (the right to inspect)",
            },
            {
                "name": "deletions",
                "description": "Erasing a learner's records everywhere (the right to deletion)",
            },
            {"name": "events", "description": "The catalogue and feed of domain events"},
            {
                "name": "webhooks",
                "description": "Webhook endpoints, deliveries and inbound roster changes",
            },
        ],
        routers=[
            auth.router,
            problem_pages.router,
            clients.router,
            aggregates.router,
            audit.router,
            exports_api.router,
            deletions_api.router,
            events_api.internal_router,
            events_api.public_router,
            webhooks_inbound.router,
            webhooks_api.router,
        ],
        on_startup=[
            open_upstreams,
            open_authenticator,
            start_route_directory,
            start_audit_log,
            start_audit_retention,
            open_gateway,
            start_event_hub,
            open_exports,
            open_deletions,
        ],
        readiness=[route_readiness],
        on_shutdown=[
            close_deletions,
            stop_audit_retention,
            close_exports,
            close_upstreams,
            stop_route_directory,
            stop_audit_log,
            stop_event_hub,
        ],
    )
    # The export job reads the gateway's own tables by this map (a feature never imports it).
    app.state.learner_data_map = LEARNER_DATA
    # The token endpoint checks client credentials with the clients feature's function.
    app.state.client_authenticator = authenticate_client

    # The proxy's tokenless check asks the route table which operations are anonymous (read
    # when called: the directory is built at start-up and refreshed as services come and go).
    def anonymous_operations(method: str, path: str) -> bool:
        routes: RouteDirectory | None = getattr(app.state, "routes", None)
        return routes is not None and routes.table.is_anonymous(method, path)

    setattr(app.state, ANONYMOUS_OPERATIONS_KEY, anonymous_operations)
    # Last: the catch-all must not shadow any other /v1 route.
    app.include_router(proxy.router)
    install_forward_first(app, [proxy.PATH, proxy.ONEROSTER_PATH])
    install_merged_openapi(app)
    # Inside the request-id middleware (index 1, after the security headers), so a 413 carries
    # the request id (and the security headers) too.
    app.user_middleware.insert(2, Middleware(RateLimitHeadersMiddleware))
    app.user_middleware.insert(
        3,
        Middleware(
            BodyLimitMiddleware,
            limit_for=partial(
                body_limit,
                default=settings.max_body_bytes,
                upload=settings.max_upload_bytes,
                portfolio=settings.max_portfolio_upload_bytes,
            ),
        ),
    )
    # Innermost (inside the unexpected-error handler, so their own failures are problems too):
    # the caller is authenticated before any body is read, then a too-deeply nested JSON body
    # is refused before a route or the proxy parses it.
    app.user_middleware.append(Middleware(AuthFirstMiddleware))
    app.user_middleware.append(Middleware(JsonDepthMiddleware, max_depth=MAX_JSON_DEPTH))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    return app
