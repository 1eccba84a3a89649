"""The pathways service application."""

import httpx
from fastapi import FastAPI

from pathwise_pathways.api import (
    activities,
    classes,
    consents,
    evidence,
    flags,
    frameworks,
    internal,
    pathways,
    portfolio,
    proposals,
)
from pathwise_pathways.api.upload_limit import portfolio_upload_limit
from pathwise_pathways.learner_data import LEARNER_DATA
from pathwise_pathways.migrations import MIGRATIONS
from pathwise_pathways.models import outbox
from pathwise_pathways.service.graph_cache import GraphCache
from pathwise_pathways.service.storage import make_store
from pathwise_pathways.service.upstream import Upstream
from pathwise_pathways.settings import PathwaysSettings, get_settings
from pathwise_shared.app import create_service_app
from pathwise_shared.calls import ServiceCallers
from pathwise_shared.learner_export import learner_export_router

__all__ = ["create_app"]


def create_app(
    settings: PathwaysSettings | None = None,
    *,
    upstream_clients: dict[str, httpx.AsyncClient] | None = None,
) -> FastAPI:
    """``upstream_clients`` (``profiles``, ``assessment``) replaces the HTTP clients to those
    services, e.g. by in-process clients of their real apps in tests (never by fakes)."""
    settings = settings or get_settings()

    async def start(app: FastAPI) -> None:
        app.state.graph_cache = GraphCache()
        app.state.portfolio_store = make_store(settings)
        # The retries of the clients made here: create_http_client's default, as before.
        app.state.upstream = Upstream(
            ServiceCallers(
                {"profiles": settings.profiles_url, "assessment": settings.assessment_url},
                secret=settings.internal_token_secret.get_secret_value(),
                ttl_seconds=settings.internal_token_ttl_seconds,
                timeout=settings.http_timeout_seconds,
                given=upstream_clients,
            )
        )

    async def stop(app: FastAPI) -> None:
        # Only the clients ServiceCallers made: the given ones belong to the caller (tests).
        await app.state.upstream.aclose()

    return create_service_app(
        settings,
        title="Pathwise pathways service",
        description="Skill frameworks and prerequisite graphs, activities, learner pathways with choice boards, mastery-gated advance, class grouping and insights, learners' portfolios.",
        routers=[
            # First: every mastery.changed of every answer arrives here (POST /internal/events),
            # and FastAPI tries included routers one by one. Order is otherwise free: no route
            # hides another (tests/test_route_order.py).
            internal.router,
            frameworks.router,
            activities.router,
            pathways.router,
            classes.router,
            flags.router,
            portfolio.router,
            proposals.router,
            consents.router,
            evidence.router,
            learner_export_router(LEARNER_DATA, lambda request: request.app.state.portfolio_store),
        ],
        migrations=MIGRATIONS,
        middleware=[portfolio_upload_limit(max(settings.portfolio_limits().values()))],
        on_startup=[start],
        on_shutdown=[stop],
        outbox=outbox,
        openapi_tags=[
            {"name": "frameworks", "description": "Skill frameworks, skills, prerequisites"},
            {"name": "activities", "description": "The activity catalogue"},
            {"name": "pathways", "description": "Learner pathways, choice boards, overrides"},
            {"name": "classes", "description": "Grouping and insights for teachers"},
            {"name": "insights", "description": "Flags raised on learners for their teachers"},
            {"name": "portfolio", "description": "Learners' artifacts, teachers' feedback, files"},
            {"name": "internal", "description": "For the other services"},
        ],
    )
