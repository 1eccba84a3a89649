"""The assessment service application."""

import asyncio
import contextlib

import httpx
from fastapi import FastAPI

from pathwise_assessment.api import (
    assessments,
    attempts,
    credentials,
    internal,
    items,
    mastery,
    motivation,
)
from pathwise_assessment.learner_data import LEARNER_DATA
from pathwise_assessment.migrations import MIGRATIONS
from pathwise_assessment.models import outbox
from pathwise_assessment.service.decay import run_decay_sweeps
from pathwise_assessment.service.fits import run_scheduled_fits
from pathwise_assessment.service.upstreams import close_upstreams, open_upstreams
from pathwise_assessment.settings import AssessmentSettings, get_settings
from pathwise_shared.app import create_service_app
from pathwise_shared.learner_export import learner_export_router

__all__ = ["create_app"]


def create_app(
    settings: AssessmentSettings | None = None,
    *,
    upstream_clients: dict[str, httpx.AsyncClient] | None = None,
) -> FastAPI:
    """``upstream_clients`` (``profiles``, ``pathways``) replaces the HTTP clients to those
    services, e.g. by in-process clients of their real apps in tests."""
    settings = settings or get_settings()

    async def start(app: FastAPI) -> None:
        open_upstreams(app, upstream_clients)
        tasks: list[asyncio.Task[None]] = []
        # Background schedules stay off in tests: a test runs them once, directly.
        if settings.environment != "test":
            if settings.fit_interval_hours > 0:
                tasks.append(
                    asyncio.create_task(
                        run_scheduled_fits(
                            app.state.db,
                            settings.fit_interval_hours * 3600,
                            settings.fit_min_responses,
                        )
                    )
                )
            if settings.decay_sweep_interval_hours > 0:
                tasks.append(
                    asyncio.create_task(
                        run_decay_sweeps(app.state.db, settings.decay_sweep_interval_hours * 3600)
                    )
                )
        app.state.background_tasks = tasks

    async def stop(app: FastAPI) -> None:
        tasks: list[asyncio.Task[None]] = app.state.background_tasks
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await close_upstreams(app)

    return create_service_app(
        settings,
        title="Pathwise assessment service",
        description="Item bank, assessments and attempts, scoring, Bayesian Knowledge Tracing mastery, model fitting, adaptive checks.",
        routers=[
            items.router,
            assessments.router,
            attempts.router,
            mastery.router,
            motivation.router,
            credentials.router,
            internal.router,
            learner_export_router(LEARNER_DATA),
        ],
        migrations=MIGRATIONS,
        outbox=outbox,
        on_startup=[start],
        on_shutdown=[stop],
        openapi_tags=[
            {"name": "items", "description": "The item bank: items, their versions and skills"},
            {"name": "assessments", "description": "Assessments and adaptive skill checks"},
            {"name": "attempts", "description": "Taking an assessment: start, answer, finish"},
            {
                "name": "mastery",
                "description": "Mastery per skill (Bayesian Knowledge Tracing) and its model fits",
            },
            {
                "name": "motivation",
                "description": "A learner's points, streak and badges (compared with themself)",
            },
            {
                "name": "credentials",
                "description": "Open Badges 3.0 credentials for mastered skills; the issuer's "
                "public key, status list and verification (no token)",
            },
            {"name": "internal", "description": "For the other services"},
        ],
    )
