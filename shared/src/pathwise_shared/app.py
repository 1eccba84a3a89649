"""The application factory every service builds on.

It wires what must be the same everywhere: problem+json errors, request ids, structured logs,
Prometheus metrics, ``/healthz`` and ``/readyz``, stable OpenAPI operation ids, and the database.
"""

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.middleware import Middleware

from pathwise_shared.db.engine import Database
from pathwise_shared.db.errors import is_database_unavailable
from pathwise_shared.db.migrations import MigrationSpec
from pathwise_shared.db.uow import unit_of_work
from pathwise_shared.http import REQUEST_ID_HEADER
from pathwise_shared.logging import configure_logging
from pathwise_shared.metrics import MetricsMiddleware, metrics_endpoint
from pathwise_shared.openapi import declare_file_uploads
from pathwise_shared.problems import (
    DatabaseUnavailable,
    Problem,
    ServiceUnavailable,
    UnexpectedErrorMiddleware,
    install_problem_handlers,
    problem_responses,
)
from pathwise_shared.relay import start_app_relay, stop_app_relay
from pathwise_shared.route_manifest import install_route_manifest
from pathwise_shared.security_headers import SecurityHeadersMiddleware
from pathwise_shared.settings import ServiceSettings

__all__ = [
    "DatabaseDep",
    "DbSession",
    "Health",
    "Hook",
    "create_service_app",
    "database_outage",
    "get_session",
]

logger = logging.getLogger("pathwise.app")

Hook = Callable[[FastAPI], Awaitable[None]]


class Health(BaseModel):
    status: str
    service: str
    checks: dict[str, str] = {}


def database_outage(exc: BaseException) -> Problem | None:
    """The 503 for an exception that says the database is unavailable; None for anything else.

    The one rule of every service (and of the gateway's own routes): whichever code opened the
    connection (the request's session, a store using the engine directly, a middleware), a
    refused, dropped or timed-out connection is a 503 with ``Retry-After``, never a 500. Bugs
    (integrity or programming errors) stay 500s.
    """
    return DatabaseUnavailable() if is_database_unavailable(exc) else None


def _operation_id(route: APIRoute) -> str:
    # The function name: stable across releases and readable in generated clients.
    return route.name


_READ_METHODS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request that commits when the endpoint returns and rolls back on error:
    the request's unit of work (services and repositories only flush). A GET's or HEAD's is
    read-only: its reads share one snapshot, and a write through it is a bug that fails loudly
    instead of being committed by a read."""
    db: Database = request.app.state.db
    async with unit_of_work(db, read_only=request.method in _READ_METHODS) as session:
        yield session


async def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
# The service's database itself, for a route whose units of work are its own: a read that stores
# what it computed (a GET's session is read-only), a batch of events handled one by one, a hot
# read whose one statement runs on ``one_statement_read(db)`` opened by its service.
DatabaseDep = Annotated[Database, Depends(_database)]


HEALTH_TAG = {"name": "health", "description": "Liveness and readiness probes"}


def _install_openapi(app: FastAPI) -> None:
    # FastAPI's document, cached as FastAPI does, with the corrections of pathwise_shared.openapi.
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_file_uploads(default())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# A service's own readiness facts beyond the database's (the gateway's route table): each returns
# checks to report; they inform (a caller such as the local stack waits on them) and never fail
# the probe, so a service with a neighbour down keeps serving what it can.
ReadinessFacts = Callable[[Request], Mapping[str, str]]


def _health_router(
    service: str, migrations: MigrationSpec | None, facts: Sequence[ReadinessFacts] = ()
) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=Health, summary="The process is alive")
    async def healthz() -> Health:
        return Health(status="ok", service=service)

    @router.get(
        "/readyz",
        response_model=Health,
        summary="The database answers and its migrations are at head",
        responses=problem_responses(503),
    )
    async def readyz(request: Request) -> Health:
        db: Database = request.app.state.db
        try:
            await db.ping()
        except Exception as exc:
            logger.warning("readiness: database unreachable: %s", exc)
            raise DatabaseUnavailable("The database does not answer.") from exc
        checks = {"database": "ok"}
        if migrations is not None:
            heads: set[str] = request.app.state.migration_heads
            try:
                current = await db.current_revisions(migrations.version_table)
            except Exception as exc:
                raise ServiceUnavailable(
                    "The database has no migrations applied.", headers={"Retry-After": "5"}
                ) from exc
            if current != heads:
                raise ServiceUnavailable(
                    f"Migrations are not at head (database {sorted(current)}, code {sorted(heads)}).",
                    headers={"Retry-After": "5"},
                )
            checks["migrations"] = "head"
        for fact in facts:
            checks.update(fact(request))
        return Health(status="ready", service=service, checks=checks)

    return router


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    migrations: MigrationSpec | None = None,
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    version: str = "0.1.0",
    openapi_tags: list[dict[str, Any]] | None = None,
    outbox: Table | None = None,
    middleware: Sequence[Middleware] = (),
    readiness: Sequence[ReadinessFacts] = (),
) -> FastAPI:
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings.database_url, outbox=outbox)
        app.state.migration_heads = migrations.heads() if migrations else set()
        try:
            for hook in on_startup:
                await hook(app)
            if outbox is not None and settings.outbox_relay:
                await start_app_relay(app, settings, outbox)
            _freeze_long_lived()
            yield
        finally:
            gc.unfreeze()
            await stop_app_relay(app)
            for hook in reversed(on_shutdown):
                await hook(app)
            await app.state.db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # Every tag an operation uses is declared with a description (the public document's
        # rule, tests/test_openapi_product.py); the probes' tag is everybody's.
        openapi_tags=[*(openapi_tags or []), HEALTH_TAG],
    )
    _install_openapi(app)
    app.state.settings = settings
    # The service's outbox table; its relay (pathwise_shared.relay) sends the rows to the gateway.
    app.state.outbox = outbox
    install_problem_handlers(app)
    app.include_router(_health_router(settings.service_name, migrations, readiness))
    for router in routers:
        app.include_router(router)
    install_route_manifest(app)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    # Every middleware here is pure ASGI (no BaseHTTPMiddleware: it costs a task and a stream
    # per request); innermost first. The service's own (``middleware``) are the innermost, so
    # their answers carry the request id and security headers and are counted.
    for extra in middleware:
        app.add_middleware(extra.cls, *extra.args, **extra.kwargs)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(UnexpectedErrorMiddleware, classify=database_outage)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=_valid_request_id,
    )
    # Outermost, so every answer has them, a 500 or a 413 of an inner middleware too.
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.is_production,
        docs_paths=[app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url],
    )
    return app


def _freeze_long_lived() -> None:
    """Move what is alive once the service has started (its modules, the app with its routes and
    schemas, the startup's caches: most of the heap, alive as long as the process) out of the
    garbage collector's generations. The oldest generation's collections, which a request's
    garbage sets off every so often, walked all of it and stalled every request in flight: they
    were the tail of the profile read (p99 168 ms at a p50 of 33 ms through the gateway; 84 ms
    after). The garbage of the start is collected first, so none of it is kept for good;
    stopping puts the objects back (``gc.unfreeze``), so a process that starts and stops apps
    (the tests) collects them as before."""
    gc.collect()
    gc.freeze()


def _valid_request_id(value: str) -> bool:
    # Accept ids from other systems too, but only sane ones (no header or log injection).
    return 8 <= len(value) <= 128 and all(c.isalnum() or c in "-_." for c in value)
